"""pip's way to the Python module `dgen`: CMake builds the library and the extension.

Debian's interpreter refuses `pip install .` into the system (PEP 668, externally managed);
in a virtual environment that sees Debian's packages (setuptools, pybind11, numpy):

    python3 -m venv --system-site-packages ~/dgen-venv
    ~/dgen-venv/bin/pip install --no-build-isolation .

(--no-build-isolation: pip would otherwise fetch setuptools from PyPI, which these machines
cannot reach.) For the system interpreter, `cmake --install build` puts the module under
/usr/local/lib/python3.X/dist-packages instead (docs/python.md).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build import build
from setuptools.command.build_ext import build_ext

SOURCE = pathlib.Path(__file__).parent.resolve()
VERSION = re.search(r"project\(dgen VERSION ([0-9.]+)",
                    (SOURCE / "CMakeLists.txt").read_text()).group(1)


class Build(build):
    def initialize_options(self):
        super().initialize_options()
        self.build_base = "build-python"  # not build/, the CMake build's directory


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        cmake_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        cmake_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(cmake_dir), "-DCMAKE_BUILD_TYPE=Release",
                        "-DDGEN_BUILD_APP=OFF", "-DDGEN_BUILD_TESTS=OFF", "-DDGEN_BUILD_BENCH=OFF",
                        "-DDGEN_INSTALL=OFF", "-DPython_EXECUTABLE=" + sys.executable], check=True)
        subprocess.run(["cmake", "--build", str(cmake_dir), "--target", "dgen_python", "-j",
                        os.environ.get("DGEN_BUILD_JOBS", "2")], check=True)
        built = next((cmake_dir / "python" / "dgen").glob("_dgen*.so"))
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(built, target)


setup(
    name="dgen",
    version=VERSION,
    description="Synthetic data with exact deduplication and compression ratios (dgen-mpi)",
    packages=["dgen"],
    package_dir={"": "python"},
    ext_modules=[Extension("dgen._dgen", sources=[])],
    cmdclass={"build": Build, "build_ext": CMakeBuild},
    python_requires=">=3.9",
)

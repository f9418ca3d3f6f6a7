# The packages of the Arm cross build (sourced by setup-debian.sh --aarch64 and
# cross-aarch64.sh): the cross compiler, qemu-user, and the arm64 libraries the core tests link.
# Never libopenmpi-dev:arm64: it would remove the host's Open MPI, SLURM and munge.
aarch64_packages=(g++-aarch64-linux-gnu qemu-user-static libhwy-dev:arm64 libgtest-dev:arm64
                  zlib1g-dev:arm64 libzstd-dev:arm64 liblz4-dev:arm64)

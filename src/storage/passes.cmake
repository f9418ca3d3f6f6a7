# src/storage/: the life of a pass's outputs (dataset files, the metadata phases, the checks
# before a byte moves, the sentences that name what a run left), MPI-free; src/mpi/ calls it.
target_sources(dgen_app PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dataset_dirs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dataset_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/direct_rules.cpp
  ${CMAKE_CURRENT_LIST_DIR}/file_facts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metadata.cpp
  ${CMAKE_CURRENT_LIST_DIR}/on_disk.cpp
  ${CMAKE_CURRENT_LIST_DIR}/replacements.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tally.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unique_dirs.cpp)

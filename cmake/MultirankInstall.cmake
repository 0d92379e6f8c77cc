# Install rules (MULTIRANK_INSTALL): the library, its public headers, the CMake package
# (find_package(multirank)) and, beside it, a pkg-config file for builds without CMake.
include(CMakePackageConfigHelpers)
set(multirank_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/multirank)
install(TARGETS multirank EXPORT multirankTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/multirank
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT multirankTargets NAMESPACE multirank:: DESTINATION ${multirank_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/multirankConfig.cmake.in
  ${PROJECT_BINARY_DIR}/multirankConfig.cmake
  INSTALL_DESTINATION ${multirank_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/multirankConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/multirankConfig.cmake
              ${PROJECT_BINARY_DIR}/multirankConfigVersion.cmake
  DESTINATION ${multirank_cmake_dir})

# multirank.pc says what the CMake target says: C++20, the include directories and the libraries
# to link, found by this configure run (so it names the same MPI and Boost). The prefix is
# relative to the file, so an install moved elsewhere (cmake --install --prefix) still works.
file(RELATIVE_PATH multirank_pc_to_prefix
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" multirank_pc_to_prefix "${multirank_pc_to_prefix}")
list(TRANSFORM MPI_CXX_INCLUDE_DIRS PREPEND -I OUTPUT_VARIABLE multirank_pc_mpi_includes)
list(TRANSFORM MPI_CXX_COMPILE_DEFINITIONS PREPEND -D OUTPUT_VARIABLE multirank_pc_mpi_defines)
list(TRANSFORM Boost_INCLUDE_DIRS PREPEND -I OUTPUT_VARIABLE multirank_pc_boost_includes)
string(JOIN " " multirank_pc_cflags ${multirank_pc_mpi_includes} ${multirank_pc_mpi_defines}
  ${MPI_CXX_COMPILE_OPTIONS} ${multirank_pc_boost_includes})
string(JOIN " " multirank_pc_public_libs
  $<TARGET_LINKER_FILE:Boost::serialization> ${MPI_CXX_LIBRARIES} ${MPI_CXX_LINK_FLAGS}
  ${CMAKE_THREAD_LIBS_INIT})
# spdlog and fmt are private to the library, but a static library's users link them too.
set(multirank_pc_private_libs "$<TARGET_LINKER_FILE:spdlog::spdlog> $<TARGET_LINKER_FILE:fmt::fmt>")
get_target_property(multirank_type multirank TYPE)
if(multirank_type STREQUAL "STATIC_LIBRARY")
  string(APPEND multirank_pc_public_libs " ${multirank_pc_private_libs}")
  set(multirank_pc_private_libs "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/multirank.pc.in
  ${PROJECT_BINARY_DIR}/multirank.pc.in @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/multirank.pc INPUT ${PROJECT_BINARY_DIR}/multirank.pc.in)
install(FILES ${PROJECT_BINARY_DIR}/multirank.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# multirank_add_mpi_test(<name> SOURCES <files...> NP <n...> [LABELS <labels...>] [TIMEOUT <s>]
#                        [ENV <VAR=value...>] [ARGS <args...>] [VARIANT <.suffix>] [OWN_MAIN])
# Builds one test binary and registers it once per rank count as <name>.np<N>, each under
# `mpirun -np N --oversubscribe --bind-to none` (root-safe), with a timeout so a hang is a
# failure. NP 0 registers <name>.singleton, run without mpirun. VARIANT registers the same binary
# again under <name><VARIANT>.npN, with other ENV or ARGS. OWN_MAIN: the test brings its own main
# (one that checks what a whole Runtime's lifetime leaves behind) instead of the shared one.
find_package(Catch2 2 REQUIRED)

# Catch2's implementation, compiled once. The ASan preset builds it without instrumentation
# (MULTIRANK_CATCH2_FLAGS): the test framework is not what the sanitizers check, and it was the
# slowest file to compile under them.
set(MULTIRANK_CATCH2_FLAGS "" CACHE STRING "Extra compile options for Catch2's implementation")
add_library(multirank_catch2 STATIC ${CMAKE_CURRENT_LIST_DIR}/../tests/support/catch2_session.cpp)
target_link_libraries(multirank_catch2 PUBLIC Catch2::Catch2)
target_include_directories(multirank_catch2 PUBLIC ${CMAKE_CURRENT_LIST_DIR}/../tests/support)
target_compile_options(multirank_catch2 PRIVATE ${MULTIRANK_CATCH2_FLAGS})
add_library(multirank_unit_test_main STATIC ${CMAKE_CURRENT_LIST_DIR}/../tests/support/unit_test_main.cpp)
target_link_libraries(multirank_unit_test_main PUBLIC multirank_catch2)
add_library(multirank_test_main STATIC ${CMAKE_CURRENT_LIST_DIR}/../tests/support/mpi_test_main.cpp)
target_link_libraries(multirank_test_main PUBLIC multirank::multirank multirank_catch2)

# Catch2 arguments for the MPI tests that name none of their own: the sanitizer presets leave out
# the [scale] cases (10^6 tasks at chunksize 1 ran 189 s of the 300 s limit under ASan on a loaded
# 2-core VM); the smaller cases exercise the same code paths.
set(MULTIRANK_MPI_TEST_ARGS "" CACHE STRING "Catch2 arguments for MPI tests without their own")
function(multirank_add_mpi_test name)
  cmake_parse_arguments(ARG "OWN_MAIN" "TIMEOUT;VARIANT" "SOURCES;NP;LABELS;ENV;ARGS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(NOT ARG_ARGS)
    set(ARG_ARGS ${MULTIRANK_MPI_TEST_ARGS})
  endif()
  if(NOT TARGET ${name})
    add_executable(${name} ${ARG_SOURCES})
    if(ARG_OWN_MAIN)
      target_link_libraries(${name} PRIVATE multirank::multirank multirank_catch2 multirank_warnings)
    else()
      target_link_libraries(${name} PRIVATE multirank_test_main multirank_warnings)
    endif()
  endif()
  set(env "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;${ARG_ENV}")
  foreach(np IN LISTS ARG_NP)
    if(np EQUAL 0)
      set(test_name ${name}${ARG_VARIANT}.singleton)
      add_test(NAME ${test_name} COMMAND $<TARGET_FILE:${name}> ${ARG_ARGS})
    else()
      set(test_name ${name}${ARG_VARIANT}.np${np})
      add_test(NAME ${test_name}
        COMMAND ${MPIEXEC_EXECUTABLE} -np ${np} --oversubscribe --bind-to none
                $<TARGET_FILE:${name}> ${ARG_ARGS})
    endif()
    set_tests_properties(${test_name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
      ENVIRONMENT "${env}" LABELS "mpi;${ARG_LABELS}")
  endforeach()
endfunction()

# multirank_add_unit_test(<name> SOURCES <files...>): a plain Catch2 test, no mpirun.
function(multirank_add_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE multirank::multirank multirank_unit_test_main multirank_warnings)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 60 LABELS unit)
endfunction()

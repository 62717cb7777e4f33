# Raw paths (jobs/raw, sinks/postgres_raw, sinks/export; see
# docs/raw-paths.md): included from tests/CMakeLists.txt. Unit tests join
# weir_unit_tests; weir_raw_it runs against the services (its GoogleTest
# cases, and as the tool the Python checkers drive).
target_sources(weir_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests/raw/raw_unit_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_postgres_raw weir_sink_export)

add_executable(weir_raw_it ${CMAKE_SOURCE_DIR}/tests/raw/raw_it.cpp)
target_link_libraries(weir_raw_it PRIVATE weir_sink_postgres_raw weir_sink_export GTest::gtest)

# Defined again in tests/CMakeLists.txt after this file is included; the cache
# keeps whichever value came first (deploy/build.sh passes the venv's python).
set(WEIR_PYTHON "python3" CACHE STRING "Python used by the end-to-end tests")
set(_weir_raw_env "\${WEIR_RUN_DIR:-${CMAKE_SOURCE_DIR}/.run}/env.sh")
add_test(NAME e2e.raw_it
  COMMAND bash -c ". \"${_weir_raw_env}\" && exec \"$<TARGET_FILE:weir_raw_it>\"")
foreach(check postgres export export_lake)
  add_test(NAME e2e.raw_${check}
    COMMAND bash -c ". \"${_weir_raw_env}\" && exec \"${WEIR_PYTHON}\" \"${CMAKE_SOURCE_DIR}/tests/raw/check_${check}.py\" \"$<TARGET_FILE:weir_raw_it>\"")
endforeach()
set_tests_properties(e2e.raw_it e2e.raw_postgres e2e.raw_export e2e.raw_export_lake
  PROPERTIES LABELS e2e RESOURCE_LOCK services)

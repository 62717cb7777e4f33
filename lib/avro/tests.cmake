# Avro tests: included from tests/CMakeLists.txt.
target_sources(weir_unit_tests PRIVATE ${CMAKE_SOURCE_DIR}/lib/avro/tests/avro_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_avro)

find_package(nlohmann_json REQUIRED) # imported targets are per directory
# Writes sample container files (and reads files fastavro wrote) for check_avro.py.
add_executable(weir_avro_sample ${CMAKE_SOURCE_DIR}/lib/avro/tests/sample.cpp)
target_link_libraries(weir_avro_sample PRIVATE weir_avro nlohmann_json::nlohmann_json)

# Same definition as in tests/CMakeLists.txt, which sets it only after this
# file is included; the cache makes the two agree.
set(WEIR_PYTHON "python3" CACHE STRING "Python used by the end-to-end tests")
# fastavro reads what weir wrote, weir reads what fastavro wrote. No services.
add_test(NAME avro.fastavro
  COMMAND ${WEIR_PYTHON} ${CMAKE_SOURCE_DIR}/lib/avro/tests/check_avro.py
          $<TARGET_FILE:weir_avro_sample>)
set_tests_properties(avro.fastavro PROPERTIES LABELS e2e)

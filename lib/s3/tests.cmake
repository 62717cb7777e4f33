# S3 client tests. Unit tests (signing vectors, XML) join weir_unit_tests; the
# MinIO tests are their own binary, run by CTest with the services' env.sh.
target_sources(weir_unit_tests PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/s3/sigv4_test.cpp
  ${CMAKE_SOURCE_DIR}/tests/s3/xml_test.cpp
  ${CMAKE_SOURCE_DIR}/tests/s3/url_test.cpp
)
target_link_libraries(weir_unit_tests PRIVATE weir_s3)

add_executable(weir_s3_it ${CMAKE_SOURCE_DIR}/tests/s3/s3_minio_test.cpp)
target_link_libraries(weir_s3_it PRIVATE weir_s3 GTest::gtest)

# Defined again in tests/CMakeLists.txt after this file is included; the cache
# keeps whichever value came first (deploy/build.sh passes the venv's python).
set(WEIR_PYTHON "python3" CACHE STRING "Python used by the end-to-end tests")
set(_weir_s3_env "\${WEIR_RUN_DIR:-${CMAKE_SOURCE_DIR}/.run}/env.sh")
add_test(NAME e2e.s3_minio
  COMMAND bash -c ". \"${_weir_s3_env}\" && exec \"$<TARGET_FILE:weir_s3_it>\"")
add_test(NAME e2e.s3_pyarrow
  COMMAND bash -c ". \"${_weir_s3_env}\" && exec \"${WEIR_PYTHON}\" \"${CMAKE_SOURCE_DIR}/tests/s3/check_with_pyarrow.py\" \"$<TARGET_FILE:weir_s3_it>\"")
set_tests_properties(e2e.s3_minio e2e.s3_pyarrow PROPERTIES LABELS e2e RESOURCE_LOCK services)

# S3 client tests. Unit tests (signing vectors, XML) join weir_unit_tests.
target_sources(weir_unit_tests PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/s3/sigv4_test.cpp
  ${CMAKE_SOURCE_DIR}/tests/s3/xml_test.cpp
)
target_link_libraries(weir_unit_tests PRIVATE weir_s3)

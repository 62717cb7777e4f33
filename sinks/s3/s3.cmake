# S3 client: SigV4 signing on OpenSSL, transport on libcurl (see README.md here).
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)

add_library(weir_s3 STATIC
  ${CMAKE_CURRENT_LIST_DIR}/sigv4.cpp
  ${CMAKE_CURRENT_LIST_DIR}/xml.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client.cpp
)
target_include_directories(weir_s3 PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(weir_s3 PUBLIC CURL::libcurl OpenSSL::Crypto)

# jobs/windowed tests (included by tests/CMakeLists.txt): the operator on one
# partition, and what combines the partitions' rows (no store).
target_sources(weir_unit_tests PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/tests/window_operator_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tests/watermark_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tests/combine_test.cpp)

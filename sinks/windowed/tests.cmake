# sinks/windowed tests (included by tests/CMakeLists.txt): the windowed sink's
# semantics over in-memory stores, step by step.
target_sources(weir_unit_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tests/sink_test.cpp)
target_link_libraries(weir_unit_tests PRIVATE weir_sink_windowed)

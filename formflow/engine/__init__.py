"""The form engine and workflow runtime: pure logic, no web and no storage."""

-- MigrationTests: a sub-folder holding another module ("test-nested") in the same assembly.
CREATE TABLE migration_test_nested (id INTEGER PRIMARY KEY);

namespace CertLibrary.Data;

/// <summary>The SQL dialect of a configured database; the only difference store code may branch on.</summary>
public enum SqlDialect
{
    /// <summary>SQLite 3 (embedded default).</summary>
    Sqlite,

    /// <summary>PostgreSQL 15 or later (optionally Citus-distributed).</summary>
    PostgreSql,
}

namespace CertLibrary.CertStore.Sqlite;

/// <summary>Options of the embedded SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Database file; created with its folder when missing. Default <c>./data/certlib.db</c>.</summary>
    public string Path { get; set; } = "data/certlib.db";
}

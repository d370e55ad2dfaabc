using CertLibrary.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CertLibrary.CertStore.Sqlite;

/// <summary>Registers the SQLite backend.</summary>
public static class SqliteStoreExtensions
{
    /// <summary>Uses a SQLite file as the database of every store.</summary>
    public static CertStoreBuilder UseSqlite(this CertStoreBuilder builder, Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions();
        configure?.Invoke(options);
        builder.Services.RemoveAll<ICertLibraryDatabase>();
        builder.Services.AddSingleton<ICertLibraryDatabase>(_ => new SqliteDatabase(options));
        return builder;
    }
}

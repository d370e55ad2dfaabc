using CertLibrary.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace CertLibrary.CertStore.PostgreSql;

/// <summary>Registers the PostgreSQL backend.</summary>
public static class PostgreSqlStoreExtensions
{
    /// <summary>Uses PostgreSQL (Npgsql) as the database of every store.</summary>
    /// <param name="builder">The store builder.</param>
    /// <param name="connectionString">An Npgsql connection string; validated here so a bad one fails start-up.</param>
    public static CertStoreBuilder UsePostgreSql(this CertStoreBuilder builder, string connectionString)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString);
        if (csb.Timeout > 15)
        {
            csb.Timeout = 5; // fail fast when the server is down so the API answers 503 instead of hanging
        }

        if (csb.CommandTimeout > 30)
        {
            csb.CommandTimeout = 30;
        }

        builder.Services.RemoveAll<ICertLibraryDatabase>();
        builder.Services.AddSingleton<ICertLibraryDatabase>(_ => new PostgreSqlDatabase(new NpgsqlDataSourceBuilder(csb.ConnectionString).Build()));
        return builder;
    }
}

using System.Data.Common;

namespace CertLibrary.Data;

/// <summary>
/// The relational database behind every store (certificates, identity, keys, log). Backends
/// (<c>CertLibrary.CertStore.Sqlite</c>, <c>CertLibrary.CertStore.PostgreSql</c>) provide it.
/// </summary>
public interface ICertLibraryDatabase
{
    /// <summary>Dialect, for the few statements that differ between backends.</summary>
    SqlDialect Dialect { get; }

    /// <summary>Opens a pooled connection.</summary>
    ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="exception"/> means the database is unreachable (down, restarting, pool
    /// exhausted), as opposed to a bug or a constraint violation. Hosts answer 503 for these.
    /// </summary>
    bool IsTransientFailure(Exception exception);

    /// <summary>Whether <paramref name="exception"/> is a unique/primary-key violation.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>Parameter reference for a JSON document column (<c>@p::jsonb</c> on PostgreSQL).</summary>
    string Json(string parameterName) => Dialect == SqlDialect.PostgreSql ? $"@{parameterName}::jsonb" : $"@{parameterName}";
}

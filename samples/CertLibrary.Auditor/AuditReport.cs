using CertLibrary.TransparencyLog;

namespace CertLibrary.Auditor;

/// <summary>What an audit found, from best to worst.</summary>
public enum AuditOutcome
{
    /// <summary>The new tree head is consistent with the last verified one and the entries hash to its root.</summary>
    Consistent = 0,

    /// <summary>The log answered with something malformed or unusable (bad JSON, wrong sizes, HTTP errors, bad signature).</summary>
    Malformed = 1,

    /// <summary>The entries the log serves do not hash to its signed root: an entry was rewritten.</summary>
    Rewrite = 2,

    /// <summary>The new tree head does not extend the last verified one: the log forked or rolled back.</summary>
    Fork = 3,
}

/// <summary>The result of one <see cref="LogAuditor.AuditAsync"/> run.</summary>
/// <param name="Outcome">The worst finding.</param>
/// <param name="NewHead">The tree head the log published, or null if it could not be read.</param>
/// <param name="Problems">One human-readable line per finding; empty when consistent.</param>
/// <param name="RewrittenIndexes">The indexes of served entries found not to be in the signed tree.</param>
public sealed record AuditReport(
    AuditOutcome Outcome,
    SignedTreeHead? NewHead,
    IReadOnlyList<string> Problems,
    IReadOnlyList<long> RewrittenIndexes);

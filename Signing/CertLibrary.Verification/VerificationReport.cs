using CertLibrary.Identifiers;

namespace CertLibrary.Verification;

/// <summary>Result kinds of a verification (SPEC §5), with their wire names.</summary>
public static class VerificationResults
{
    public const string Valid = "valid";
    public const string Invalid = "invalid";
    public const string Revoked = "revoked";
    public const string Suspended = "suspended";
    public const string Expired = "expired";
    public const string UnknownIssuer = "unknown-issuer";
}

/// <summary>The answer of a verification.</summary>
/// <param name="Result">One of <see cref="VerificationResults"/>.</param>
/// <param name="Reasons">Why it is not valid, and any warnings (e.g. a stale trust list).</param>
/// <param name="Certificate">Minimal masked fields, when the signature verified.</param>
/// <param name="CheckedAt">When it was checked.</param>
public sealed record VerificationReport(string Result, IReadOnlyList<string> Reasons, MaskedCertificate? Certificate, DateTimeOffset CheckedAt)
{
    /// <summary>When the trust list used went stale (offline verification), else <see langword="null"/>.</summary>
    public DateTimeOffset? TrustListStaleSince { get; init; }
}

/// <summary>The minimal, masked view of a verified certificate.</summary>
public sealed record MaskedCertificate(
    string Id, string TypeCode, string IssuerCode, string? IssuerName, string HolderName, DateTimeOffset ValidFrom, DateTimeOffset? ValidUntil)
{
    /// <summary>Holder binding and salt of an offline QR, for a check against the holder's ID card.</summary>
    public string? HolderBinding { get; init; }

    /// <summary>Salt of <see cref="HolderBinding"/>.</summary>
    public string? HolderSalt { get; init; }

    /// <summary>The credit code of an organisation holder (whose name is then not masked); null for a citizen.</summary>
    public string? HolderCreditCode { get; init; }
}

/// <summary>The status a verifier found for a certificate.</summary>
public enum CertificateState
{
    /// <summary>Neither revoked nor suspended.</summary>
    Valid,

    /// <summary>Suspended.</summary>
    Suspended,

    /// <summary>Revoked.</summary>
    Revoked,

    /// <summary>No such certificate at that status slot.</summary>
    Unknown,

    /// <summary>Status could not be checked (offline, no status list): reported as a reason.</summary>
    NotChecked,
}

/// <summary>Where a verifier reads status: the live store (online) or downloaded status lists (offline).</summary>
public interface ICertificateStatusSource
{
    /// <summary>Status of the certificate <paramref name="id"/> whose status slot is <paramref name="listId"/>/<paramref name="index"/>.</summary>
    ValueTask<(CertificateState State, string? Note)> GetStateAsync(string id, string listId, int index, CancellationToken cancellationToken);
}

/// <summary>Status from downloaded, verified status lists.</summary>
public sealed class StatusListStatusSource(IEnumerable<StatusList> lists, DateTimeOffset now) : ICertificateStatusSource
{
    private readonly List<StatusList> _lists = [.. lists];

    /// <inheritdoc />
    public ValueTask<(CertificateState State, string? Note)> GetStateAsync(string id, string listId, int index, CancellationToken cancellationToken)
    {
        var revocation = _lists.FirstOrDefault(l => l.ListId == listId && l.Purpose == StatusListCredential.Revocation);
        var suspension = _lists.FirstOrDefault(l => l.ListId == listId && l.Purpose == StatusListCredential.Suspension);
        if (revocation is null)
        {
            return ValueTask.FromResult((CertificateState.NotChecked, (string?)$"status not checked: no status list {listId}"));
        }

        var note = revocation.ValidUntil < now ? $"status list {listId} stale since {Rfc3339.Format(revocation.ValidUntil)}" : null;
        if (!revocation.IsSet(index))
        {
            return ValueTask.FromResult<(CertificateState, string?)>((CertificateState.Valid, note));
        }

        return ValueTask.FromResult<(CertificateState, string?)>(suspension?.IsSet(index) == true ? (CertificateState.Suspended, note) : (CertificateState.Revoked, note));
    }
}

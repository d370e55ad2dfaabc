namespace CertLibrary.Signing;

/// <summary>Outcome of verifying a JWS; never thrown, always returned, with the reasons of every failure.</summary>
public sealed class JwsVerificationResult
{
    internal JwsVerificationResult(bool isValid, byte[]? payload, IReadOnlyList<JwsSignatureResult> signatures, IReadOnlyList<string> reasons)
    {
        IsValid = isValid;
        Payload = payload;
        Signatures = signatures;
        Reasons = reasons;
    }

    /// <summary>Whether the JWS verified under the requested policy.</summary>
    public bool IsValid { get; }

    /// <summary>The payload bytes; <see langword="null"/> unless <see cref="IsValid"/>.</summary>
    public byte[]? Payload { get; }

    /// <summary>One outcome per signature present, in document order.</summary>
    public IReadOnlyList<JwsSignatureResult> Signatures { get; }

    /// <summary>Distinct reasons of failure (see <see cref="JwsReasons"/>); empty when valid.</summary>
    public IReadOnlyList<string> Reasons { get; }

    internal static JwsVerificationResult Fail(string reason) => new(false, null, [], [reason]);
}

/// <summary>Outcome of one signature of a JWS.</summary>
/// <param name="Algorithm">Header <c>alg</c>, when readable.</param>
/// <param name="KeyId">Header <c>kid</c>, when readable.</param>
/// <param name="Type">Header <c>typ</c>, when present.</param>
/// <param name="IsValid">Whether the signature verified.</param>
/// <param name="Reason">Why it failed (see <see cref="JwsReasons"/>); <see langword="null"/> when valid.</param>
/// <param name="Key">The key that verified it; check its <see cref="JwsVerificationKey.RevokedAt"/>.</param>
public sealed record JwsSignatureResult(string? Algorithm, string? KeyId, string? Type, bool IsValid, string? Reason, JwsVerificationKey? Key);

/// <summary>The reasons a JWS verification reports.</summary>
public static class JwsReasons
{
    /// <summary>The input exceeds the size limit; nothing was decoded.</summary>
    public const string TooLarge = "input too large";

    /// <summary>A compact JWS does not have exactly three dot-separated parts.</summary>
    public const string MalformedCompact = "malformed compact serialization";

    /// <summary>The JWS JSON document is not valid JSON, too deep, or lacks required members.</summary>
    public const string MalformedJson = "malformed JWS JSON";

    /// <summary>A part is not canonical unpadded base64url.</summary>
    public const string MalformedBase64Url = "malformed base64url";

    /// <summary>The protected header is not a JSON object.</summary>
    public const string MalformedHeader = "malformed protected header";

    /// <summary>The protected header repeats a member name.</summary>
    public const string DuplicateHeaderMember = "duplicate header member";

    /// <summary>An unprotected header is present; every parameter must be integrity protected.</summary>
    public const string UnprotectedHeader = "unprotected header not allowed";

    /// <summary>The header has no string <c>alg</c>.</summary>
    public const string MissingAlgorithm = "alg missing";

    /// <summary>The header says <c>alg: none</c>.</summary>
    public const string AlgorithmNone = "alg none not allowed";

    /// <summary>The header <c>alg</c> is not one this library verifies.</summary>
    public const string UnsupportedAlgorithm = "unsupported alg";

    /// <summary>The header carries <c>crit</c>; no extension is understood.</summary>
    public const string CriticalHeader = "crit not allowed";

    /// <summary>The header has no string <c>kid</c>.</summary>
    public const string MissingKeyId = "kid missing";

    /// <summary>No key is known under the header's <c>kid</c>.</summary>
    public const string UnknownKeyId = "unknown kid";

    /// <summary>Keys exist for the <c>kid</c> but none has the header's <c>alg</c>.</summary>
    public const string AlgorithmMismatch = "alg does not match key";

    /// <summary>The signature does not verify with any candidate key.</summary>
    public const string SignatureMismatch = "signature mismatch";

    /// <summary>The document holds no signature.</summary>
    public const string NoSignatures = "no signatures";

    /// <summary>The document holds more signatures than allowed.</summary>
    public const string TooManySignatures = "too many signatures";

    /// <summary>A required algorithm has no valid signature (followed by <c>": alg"</c>).</summary>
    public const string RequiredAlgorithmMissing = "required alg missing";
}

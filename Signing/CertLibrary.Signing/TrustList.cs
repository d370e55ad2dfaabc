using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CertLibrary.Signing;

/// <summary>Builds the signed trust list (SPEC §4).</summary>
public static class TrustListBuilder
{
    /// <summary>
    /// Builds the trust list of every key <paramref name="keyManager"/> knows, valid for <paramref name="validity"/>,
    /// as a JWS JSON General Serialization signed by the platform root key of every suite (created on first use).
    /// </summary>
    public static async Task<JsonObject> BuildAsync(KeyManager keyManager, TimeSpan validity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyManager);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        var signers = await keyManager.GetSignersAsync(SigningKeyRecord.PlatformOwner, cancellationToken);
        var all = await keyManager.GetAllKeysAsync(cancellationToken);
        var suites = keyManager.Suites;

        var roots = new List<JsonObject>();
        var keys = new List<TrustListKey>();
        foreach (var key in all.OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal))
        {
            if (!suites.TryGet(key.Algorithm, out var suite))
            {
                continue;
            }

            var jwk = suite.ExportJwk(key.SubjectPublicKeyInfo);
            if (key.OwnerCode == SigningKeyRecord.PlatformOwner)
            {
                if (key.RevokedAt is null)
                {
                    jwk["kid"] = key.KeyId;
                    jwk["alg"] = key.Algorithm;
                    roots.Add(jwk);
                }
            }
            else
            {
                keys.Add(new TrustListKey(key.KeyId, key.Algorithm, key.OwnerCode, jwk, key.NotBefore, key.RetiredAt, key.RevokedAt));
            }
        }

        var now = keyManager.TimeProvider.GetUtcNow();
        var document = new TrustListDocument(now, now + validity, roots, keys);
        var payload = Encoding.UTF8.GetBytes(document.ToJson().ToJsonString());
        return Jws.SignGeneral(payload, signers, TrustListDocument.JwsType);
    }
}

/// <summary>Verifies a signed trust list against pinned platform root keys.</summary>
public static class TrustList
{
    /// <summary>Largest signed trust list accepted, in characters of its encoded parts.</summary>
    public const int MaxLength = 8 * 1024 * 1024;

    /// <summary>The trust list is not signed by every pinned root algorithm, or a signature fails.</summary>
    public const string SignatureInvalidReason = "trust list signature invalid";

    /// <summary>A signature has another <c>typ</c> than <see cref="TrustListDocument.JwsType"/>.</summary>
    public const string WrongTypeReason = "unexpected typ";

    /// <summary>The payload is not a trust list.</summary>
    public const string MalformedReason = "malformed trust list";

    /// <summary>
    /// Verifies <paramref name="signedDocument"/>: every signature must verify with a pinned root key, every algorithm
    /// of the pinned roots must have signed, and every <c>typ</c> must be <see cref="TrustListDocument.JwsType"/>.
    /// A list past <c>nextUpdate</c> is still returned, reported as stale. Never throws on hostile input.
    /// </summary>
    /// <exception cref="JwkFormatException">A pinned root JWK is invalid (configuration error).</exception>
    public static TrustListVerificationResult Verify(
        JsonNode? signedDocument,
        IEnumerable<JsonObject> pinnedRootJwks,
        SignatureSuites suites,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pinnedRootJwks);
        ArgumentNullException.ThrowIfNull(suites);
        var pinned = pinnedRootJwks.Select(jwk =>
        {
            var (suite, spki) = suites.ImportJwk(jwk);
            return new JwsVerificationKey(suite, KeyId.Compute(spki), spki) { OwnerCode = SigningKeyRecord.PlatformOwner };
        }).ToList();
        if (pinned.Count == 0)
        {
            throw new ArgumentException("At least one pinned root key is required.", nameof(pinnedRootJwks));
        }

        var required = pinned.Select(k => k.Algorithm).Distinct(StringComparer.Ordinal).ToList();
        var jws = Jws.VerifyGeneral(signedDocument, new StaticJwsKeyResolver(pinned), required, MaxLength);
        if (!jws.IsValid)
        {
            return TrustListVerificationResult.Failed([SignatureInvalidReason, .. jws.Reasons], jws);
        }

        if (jws.Signatures.Any(s => s.Type != TrustListDocument.JwsType))
        {
            return TrustListVerificationResult.Failed([WrongTypeReason], jws);
        }

        JsonNode? payload;
        try
        {
            payload = JsonNode.Parse(jws.Payload, documentOptions: new JsonDocumentOptions { MaxDepth = Jws.MaxDepth });
        }
        catch (JsonException)
        {
            return TrustListVerificationResult.Failed([MalformedReason], jws);
        }

        var document = TrustListDocument.Parse(payload, out _);
        if (document is null)
        {
            return TrustListVerificationResult.Failed([MalformedReason], jws);
        }

        var warnings = new List<string>();
        var keys = new List<JwsVerificationKey>();
        foreach (var root in document.RootKeys)
        {
            if (TryImport(suites, root, null, out var key, warnings))
            {
                keys.Add(key with { OwnerCode = SigningKeyRecord.PlatformOwner });
            }
        }

        foreach (var entry in document.Keys)
        {
            if (TryImport(suites, entry.Jwk, entry, out var key, warnings))
            {
                keys.Add(key with
                {
                    OwnerCode = entry.DepartmentCode,
                    NotBefore = entry.NotBefore,
                    RetiredAt = entry.RetiredAt,
                    RevokedAt = entry.RevokedAt,
                });
            }
        }

        var stale = now > document.NextUpdate;
        return new TrustListVerificationResult(
            true,
            [],
            warnings,
            document,
            stale ? document.NextUpdate : null,
            new StaticJwsKeyResolver(keys),
            jws);
    }

    private static bool TryImport(SignatureSuites suites, JsonObject jwk, TrustListKey? entry, out JwsVerificationKey key, List<string> warnings)
    {
        key = null!;
        try
        {
            ISignatureSuite suite;
            byte[] spki;
            if (entry is null)
            {
                (suite, spki) = suites.ImportJwk(jwk);
            }
            else if (suites.TryGet(entry.Algorithm, out var named))
            {
                (suite, spki) = (named, named.ImportJwk(jwk));
            }
            else
            {
                warnings.Add($"key {entry.KeyId}: unsupported alg {entry.Algorithm}");
                return false;
            }

            var kid = KeyId.Compute(spki);
            if (entry is not null && entry.KeyId != kid)
            {
                warnings.Add($"key {entry.KeyId}: kid does not match its public key");
                return false;
            }

            key = new JwsVerificationKey(suite, kid, spki);
            return true;
        }
        catch (JwkFormatException)
        {
            warnings.Add($"key {entry?.KeyId ?? "root"}: invalid JWK");
            return false;
        }
    }
}

/// <summary>Outcome of <see cref="TrustList.Verify"/>.</summary>
public sealed class TrustListVerificationResult
{
    internal TrustListVerificationResult(
        bool isValid,
        IReadOnlyList<string> reasons,
        IReadOnlyList<string> warnings,
        TrustListDocument? document,
        DateTimeOffset? staleSince,
        StaticJwsKeyResolver? keyResolver,
        JwsVerificationResult signature)
    {
        IsValid = isValid;
        Reasons = reasons;
        Warnings = warnings;
        Document = document;
        StaleSince = staleSince;
        KeyResolver = keyResolver;
        Signature = signature;
    }

    /// <summary>Whether the list is authentic (signed by the pinned roots) and well formed.</summary>
    public bool IsValid { get; }

    /// <summary>Why it was rejected; empty when valid.</summary>
    public IReadOnlyList<string> Reasons { get; }

    /// <summary>Entries skipped while building <see cref="KeyResolver"/> (e.g. an algorithm this verifier lacks).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The verified list; <see langword="null"/> when invalid.</summary>
    public TrustListDocument? Document { get; }

    /// <summary>Whether <c>nextUpdate</c> has passed: the list still verifies, but a fresher one is due.</summary>
    public bool IsStale => StaleSince is not null;

    /// <summary>The <c>nextUpdate</c> time once it has passed, else <see langword="null"/>.</summary>
    public DateTimeOffset? StaleSince { get; }

    /// <summary>
    /// Resolves every key of the list (department keys and root keys) with owner, retirement and revocation, for
    /// <see cref="Jws"/> verification; <see langword="null"/> when invalid.
    /// </summary>
    public StaticJwsKeyResolver? KeyResolver { get; }

    /// <summary>The JWS verification of the list itself.</summary>
    public JwsVerificationResult Signature { get; }

    internal static TrustListVerificationResult Failed(IReadOnlyList<string> reasons, JwsVerificationResult signature) =>
        new(false, reasons, [], null, null, null, signature);
}

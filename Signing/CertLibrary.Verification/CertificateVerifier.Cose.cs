using CertLibrary.Identifiers;
using CertLibrary.Signing;

namespace CertLibrary.Verification;

/// <summary>Format 2 of the offline QR (<see cref="CoseQr"/>): every signature must verify with a trusted key.</summary>
public sealed partial class CertificateVerifier
{
    private async Task<VerificationReport> VerifyCoseQrAsync(string text, IJwsKeyResolver resolver, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!CoseQr.TryDecode(text, out var message, out var failure))
        {
            return Fail(now, failure);
        }

        var signatures = new List<JwsSignatureResult>(message.Signers.Count);
        foreach (var signer in message.Signers)
        {
            signatures.Add(VerifyCoseSigner(message, signer, resolver));
        }

        var reasons = signatures.Where(s => s.Reason is not null).Select(s => s.Reason!).Distinct(StringComparer.Ordinal).ToList();
        if (reasons.Count > 0)
        {
            // Unknown issuer only when no signer is known at all; a known signature beside a bad one is an alteration.
            var unknown = signatures.All(s => s.Reason == JwsReasons.UnknownKeyId);
            return new VerificationReport(unknown ? VerificationResults.UnknownIssuer : VerificationResults.Invalid, reasons, null, now);
        }

        foreach (var signature in signatures)
        {
            if (signature.Key is { RevokedAt: { } revokedAt })
            {
                return Fail(now, $"issuer key {signature.KeyId} revoked at {Rfc3339.Format(revokedAt)}");
            }
        }

        var claims = CoseQr.ReadClaims(message.Payload, out failure);
        if (claims is null)
        {
            return Fail(now, failure ?? "malformed QR claims");
        }

        var masked = new MaskedCertificate(claims.Id, claims.TypeCode, claims.IssuerCode, null, claims.MaskedName, claims.NotBefore, claims.NotAfter)
        {
            HolderBinding = claims.HolderBinding,
            HolderSalt = claims.HolderSalt,
            HolderCreditCode = claims.HolderCreditCode,
        };
        return await ConcludeAsync(signatures, masked, claims.StatusListId, claims.StatusIndex, now, cancellationToken);
    }

    private static JwsSignatureResult VerifyCoseSigner(CoseQrMessage message, CoseQrSigner signer, IJwsKeyResolver resolver)
    {
        JwsSignatureResult Failed(string reason) => new(signer.Algorithm, signer.KeyId, null, false, reason, null);

        if (signer.Failure is not null)
        {
            return Failed(signer.Failure);
        }

        var candidates = resolver.Resolve(signer.KeyId!);
        if (candidates.Count == 0)
        {
            return Failed(JwsReasons.UnknownKeyId);
        }

        var input = CoseQr.SigStructure(message.BodyProtected, signer.ProtectedHeader, message.Payload);
        var matching = false;
        foreach (var key in candidates)
        {
            if (!string.Equals(key.Algorithm, signer.Algorithm, StringComparison.Ordinal))
            {
                continue;
            }

            matching = true;
            if (key.Suite.Verify(key.SubjectPublicKeyInfo, input, signer.Signature))
            {
                return new JwsSignatureResult(signer.Algorithm, signer.KeyId, null, true, null, key);
            }
        }

        return Failed(matching ? JwsReasons.SignatureMismatch : JwsReasons.AlgorithmMismatch);
    }
}

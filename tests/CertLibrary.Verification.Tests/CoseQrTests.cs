using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using CertLibrary.Testing;

namespace CertLibrary.Verification.Tests;

/// <summary>Format 2 of the offline QR (SPEC §5): writing, reading, and hostile input.</summary>
public sealed class CoseQrTests
{
    private const string Department = "11100000000013338W";
    private const string Type = Department + "001";
    private const string Id = $"1.2.156.3005.2.{Type}.{Department}.ABCDEFGHIJ0123456789.001.X";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);
    private static readonly byte[] Salt = [.. Enumerable.Range(1, 12).Select(i => (byte)i)];
    private static readonly byte[] Binding = [.. Enumerable.Range(101, 12).Select(i => (byte)i)];

    private readonly Dictionary<string, (JwsSigner Signer, JwsVerificationKey Key, SigningKeyPair Pair)> _keys = new(StringComparer.Ordinal);

    public CoseQrTests()
    {
        foreach (ISignatureSuite suite in new ISignatureSuite[] { new Sm2Suite(), new Es256Suite() })
        {
            var pair = suite.GenerateKeyPair();
            var kid = KeyId.Compute(pair.SubjectPublicKeyInfo);
            _keys[suite.Algorithm] = (new JwsSigner(suite.Algorithm, kid, suite.CreateSigner(pair.Pkcs8PrivateKey)),
                new JwsVerificationKey(suite, kid, pair.SubjectPublicKeyInfo) { OwnerCode = Department }, pair);
        }
    }

    private static QrClaims Claims => new(Id, Type, Department, "张小三", Now.AddDays(-1), Now.AddYears(1), "list-1", 4242);

    private string Create(params string[] suites) => CoseQr.Create(Claims, Salt, Binding, [.. suites.Select(s => _keys[s].Signer)]);

    private CertificateVerifier Verifier() =>
        new(new StaticJwsKeyResolver(_keys.Values.Select(k => k.Key)), new StatusListStatusSource([], Now));

    private Task<VerificationReport> VerifyAsync(string text) => Verifier().VerifyQrAsync(text, Now, CancellationToken.None);

    private static byte[] Cose(string text) => CoseQrCorpus.Cose(text);

    private static string Text(byte[] cose) => CoseQrCorpus.Text(cose);

    [Fact]
    public async Task VerifyQrAsync_DualSigned_ValidWithMaskedClaims()
    {
        var text = Create("SM2", "ES256");

        var report = await VerifyAsync(text);

        Assert.Equal(VerificationResults.Valid, report.Result);
        Assert.Equal(Id, report.Certificate!.Id);
        Assert.Equal(Type, report.Certificate.TypeCode);
        Assert.Equal(Department, report.Certificate.IssuerCode);
        Assert.Equal("张*三", report.Certificate.HolderName);
        Assert.Equal(Now.AddYears(1), report.Certificate.ValidUntil);
        Assert.Equal(Base64Url.Encode(Binding), report.Certificate.HolderBinding);
        Assert.Equal(Base64Url.Encode(Salt), report.Certificate.HolderSalt);
        Assert.Matches("^CL2:[0-9A-Z $%*+\\-./:]+$", text); // QR alphanumeric mode
    }

    [Theory]
    [InlineData("SM2")]
    [InlineData("ES256")]
    public async Task VerifyQrAsync_SingleSuite_Sign1Valid(string suite)
    {
        var text = Create(suite);

        var report = await VerifyAsync(text);

        Assert.Equal(VerificationResults.Valid, report.Result);
        Assert.Equal(0xD2, Cose(text)[0]); // tag 18, COSE_Sign1
    }

    [Fact]
    public void Create_Es256Sign1_VerifiesWithSystemSecurityCryptographyCose()
    {
        var message = CoseMessage.DecodeSign1(Cose(Create("ES256")));
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_keys["ES256"].Pair.SubjectPublicKeyInfo, out _);

        Assert.True(message.VerifyEmbedded(key));
        Assert.Equal(CoseAlgorithm(-7), message.ProtectedHeaders[CoseHeaderLabel.Algorithm]);
        Assert.Equal(Base64Url.Decode(_keys["ES256"].Signer.KeyId), message.UnprotectedHeaders[CoseHeaderLabel.KeyIdentifier].GetValueAsBytes());
    }

    [Fact]
    public void Create_DualSigned_Es256SignerVerifiesWithSystemSecurityCryptographyCose()
    {
        var message = CoseMessage.DecodeMultiSign(Cose(Create("SM2", "ES256")));
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_keys["ES256"].Pair.SubjectPublicKeyInfo, out _);

        Assert.Equal(2, message.Signatures.Count);
        Assert.Equal(CoseAlgorithm(-65537), message.Signatures[0].ProtectedHeaders[CoseHeaderLabel.Algorithm]);
        Assert.True(message.Signatures[1].VerifyEmbedded(key));
        Assert.Empty(message.ProtectedHeaders);
    }

    private static CoseHeaderValue CoseAlgorithm(int value) => CoseHeaderValue.FromInt32(value);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task VerifyQrAsync_OneSignatureReplacedByGarbage_Invalid(int garbled)
    {
        var cose = Cose(Create("SM2", "ES256"));

        var report = await VerifyAsync(Text(CoseQrCorpus.Rewrite(cose, [0, 1], i => (null, i == garbled ? RandomNumberGenerator.GetBytes(64) : null))));

        Assert.Equal(VerificationResults.Invalid, report.Result);
        Assert.Contains(JwsReasons.SignatureMismatch, report.Reasons);
        Assert.Null(report.Certificate);
    }

    [Fact]
    public async Task VerifyQrAsync_SecondSignerWithUnknownKey_InvalidNotUnknownIssuer()
    {
        var cose = Cose(Create("SM2", "ES256"));

        var report = await VerifyAsync(Text(CoseQrCorpus.Rewrite(cose, [0, 1], i => i == 1 ? (RandomNumberGenerator.GetBytes(8), RandomNumberGenerator.GetBytes(64)) : (null, null))));

        Assert.Equal(VerificationResults.Invalid, report.Result);
        Assert.Contains(JwsReasons.UnknownKeyId, report.Reasons);
    }

    [Fact]
    public async Task VerifyQrAsync_NoSignerKnown_UnknownIssuer()
    {
        var report = await new CertificateVerifier(new StaticJwsKeyResolver([]), new StatusListStatusSource([], Now))
            .VerifyQrAsync(Create("SM2", "ES256"), Now, CancellationToken.None);

        Assert.Equal(VerificationResults.UnknownIssuer, report.Result);
    }

    [Fact]
    public async Task VerifyQrAsync_PayloadAltered_Invalid()
    {
        var cose = Cose(Create("SM2", "ES256"));
        var index = cose.AsSpan().IndexOf("list-1"u8);
        cose[index + 5] = (byte)'2';

        var report = await VerifyAsync(Text(cose));

        Assert.Equal(VerificationResults.Invalid, report.Result);
        Assert.Contains(JwsReasons.SignatureMismatch, report.Reasons);
    }

    [Fact]
    public async Task VerifyQrAsync_FormatOne_StillVerifies()
    {
        var text = OfflineQr.Create(Claims, "11010519491231002X", _keys["ES256"].Signer);

        var report = await VerifyAsync(text);

        Assert.StartsWith("CL1:", text, StringComparison.Ordinal);
        Assert.Equal(VerificationResults.Valid, report.Result);
    }

    [Fact]
    public void TryReadUnverifiedId_FormatTwo_ReturnsItsId()
    {
        Assert.True(CoseQr.TryReadUnverifiedId(Create("SM2", "ES256"), out var id));
        Assert.Equal(Id, id);
        Assert.False(CoseQr.TryReadUnverifiedId("CL2:AAAA", out _));
    }

    [Fact]
    public void Create_ClaimOne_IsTheIdWithoutItsRoot()
    {
        Assert.True(CoseQr.TryDecode(Create("SM2", "ES256"), out var message, out _));
        var reader = new CborReader(message.Payload);
        reader.ReadStartMap();
        string? claimOne = null;
        while (reader.PeekState() != CborReaderState.EndMap && claimOne is null)
        {
            if (reader.ReadInt64() != CoseQr.ClaimsKey)
            {
                reader.SkipValue();
                continue;
            }

            reader.ReadStartMap();
            Assert.Equal(1, reader.ReadInt32());
            claimOne = reader.ReadTextString();
        }

        Assert.Equal(Id["1.2.156.3005.2.".Length..], claimOne);
        Assert.Equal(Id, CoseQr.ReadClaims(message.Payload, out _)!.Id);
        Assert.Throws<ArgumentException>(() => CoseQr.Create(Claims with { Id = Id["1.2.156.3005.2.".Length..] }, Salt, Binding, [_keys["ES256"].Signer]));
    }

    [Fact]
    public async Task VerifyQrAsync_HostileCorpus_InvalidWithReason()
    {
        var corpus = CoseQrCorpus.Hostile(Create("SM2", "ES256"));

        foreach (var (name, text, reason) in corpus)
        {
            var report = await VerifyAsync(text);
            Assert.True(report.Result == VerificationResults.Invalid, name + ": " + report.Result + " " + string.Join("; ", report.Reasons));
            Assert.True(report.Reasons.Count > 0 && report.Reasons.Any(r => r.Contains(reason, StringComparison.Ordinal)), name + ": " + string.Join("; ", report.Reasons));
            Assert.Null(report.Certificate);
        }
    }

    [Fact]
    public async Task VerifyQrAsync_Truncated_Invalid()
    {
        var text = Create("SM2", "ES256");
        foreach (var cut in new[] { 1, 2, 3, 10, text.Length / 2, text.Length - CoseQr.Prefix.Length - 1 })
        {
            var report = await VerifyAsync(text[..^cut]);
            Assert.Equal(VerificationResults.Invalid, report.Result);
            Assert.NotEmpty(report.Reasons);
        }
    }

    [Fact]
    public async Task VerifyQrAsync_RandomMutations_NeverThrow()
    {
        var text = Create("SM2", "ES256");
        var random = new Random(17);
        const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:a~\u00e9";
        for (var i = 0; i < 3000; i++)
        {
            var chars = text.ToCharArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                chars[random.Next(CoseQr.Prefix.Length, chars.Length)] = Alphabet[random.Next(Alphabet.Length)];
            }

            var mutated = new string(chars);
            var report = await VerifyAsync(mutated);
            // Valid only when the signed bytes are untouched: a flip in the unused padding bits after the last deflate
            // block changes the text, not the COSE object.
            Assert.True(report.Result != VerificationResults.Valid || Cose(mutated).AsSpan().SequenceEqual(Cose(text)), mutated);
        }
    }

    [Fact]
    public void HolderBindingKdf_SameNumberAnyCase_MatchesOtherNumberNot()
    {
        var (salt, binding) = HolderBindingKdf.Create("11010519491231002x");

        Assert.Equal(12, salt.Length);
        Assert.Equal(12, binding.Length);
        Assert.True(HolderBindingKdf.Matches(binding, salt, " 11010519491231002X "));
        Assert.False(HolderBindingKdf.Matches(binding, salt, "110105194912310010"));
        Assert.False(HolderBindingKdf.Matches(binding, salt, null));
    }

    [Fact]
    public void HolderBindingKdf_Compute_IsScryptN32768R8P1()
    {
        // Reference value: scrypt(password, salt, N=2^15, r=8, p=1, dkLen=32) as computed by Node's crypto.scryptSync (OpenSSL).
        var binding = HolderBindingKdf.Compute("11010519491231002X", Salt);

        Assert.Equal("204F26986D775835E318455C", Convert.ToHexString(binding));
    }
}

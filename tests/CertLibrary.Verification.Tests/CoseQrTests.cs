using System.Formats.Cbor;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using CertLibrary.Signing;
using CertLibrary.Signing.Sm2;
using SimpleBase;

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

    private static byte[] Cose(string text)
    {
        using var zlib = new ZLibStream(new MemoryStream(Base45.Default.Decode(text.AsSpan(CoseQr.Prefix.Length))), CompressionMode.Decompress);
        using var output = new MemoryStream();
        zlib.CopyTo(output);
        return output.ToArray();
    }

    private static string Text(byte[] cose)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(cose);
        }

        return CoseQr.Prefix + Base45.Default.Encode(output.ToArray());
    }

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

        var report = await VerifyAsync(Text(Rewrite(cose, garbled, RandomNumberGenerator.GetBytes(64), null)));

        Assert.Equal(VerificationResults.Invalid, report.Result);
        Assert.Contains(JwsReasons.SignatureMismatch, report.Reasons);
        Assert.Null(report.Certificate);
    }

    [Fact]
    public async Task VerifyQrAsync_SecondSignerWithUnknownKey_InvalidNotUnknownIssuer()
    {
        var cose = Cose(Create("SM2", "ES256"));

        var report = await VerifyAsync(Text(Rewrite(cose, 1, RandomNumberGenerator.GetBytes(64), RandomNumberGenerator.GetBytes(8))));

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

    public static TheoryData<string, string, string> Hostile()
    {
        var signer = new byte[] { 0x83, 0x40, 0xA0, 0x40 };
        var thousand = new CborWriter();
        thousand.WriteTag((CborTag)98);
        thousand.WriteStartArray(4);
        thousand.WriteByteString([]);
        thousand.WriteStartMap(0);
        thousand.WriteEndMap();
        thousand.WriteByteString([0xA0]);
        thousand.WriteStartArray(1000);
        for (var i = 0; i < 1000; i++)
        {
            thousand.WriteEncodedValue(signer);
        }

        thousand.WriteEndArray();
        thousand.WriteEndArray();
        var deep = Enumerable.Repeat((byte)0x81, 4000).Append((byte)0x00).ToArray();
        var tag61 = new CborWriter();
        tag61.WriteTag((CborTag)61);
        tag61.WriteStartArray(0);
        tag61.WriteEndArray();
        var untagged = new CborWriter();
        untagged.WriteStartArray(4);
        untagged.WriteByteString([]);
        untagged.WriteStartMap(0);
        untagged.WriteEndMap();
        untagged.WriteByteString([0xA0]);
        untagged.WriteStartArray(0);
        untagged.WriteEndArray();
        untagged.WriteEndArray();
        return new TheoryData<string, string, string>
        {
            { "bad base45", CoseQr.Prefix + "::::", "malformed base45" },
            { "base45 value over 65535", CoseQr.Prefix + "GGW", "malformed base45" },
            { "odd base45 length", CoseQr.Prefix + "A", "malformed base45" },
            { "not zlib", CoseQr.Prefix + Base45.Default.Encode("not zlib at all"u8.ToArray()), "zlib" },
            { "zlib bomb", Text(new byte[1_000_000]), "too large once inflated" },
            { "deep CBOR", Text(deep), "CBOR nested too deeply" },
            { "wrong tag", Text(tag61.Encode()), "wrong COSE tag 61" },
            { "untagged", Text(untagged.Encode()), "untagged COSE object" },
            { "1,000 signers", Text(thousand.Encode()), "too many CBOR items" },
            { "empty", CoseQr.Prefix, "zlib" },
            { "too long", CoseQr.Prefix + new string('0', CoseQr.MaxLength), JwsReasons.TooLarge },
            { "trailing bytes", Text([0xD2, 0x84, 0x40, 0xA0, 0x40, 0x40, 0x00]), "trailing bytes" },
            { "indefinite maps", Text([0xD2, 0x84, 0x43, 0xA1, 0x01, 0x26, 0xBF, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x41, 0xA0, 0x40]), "malformed" },
        };
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task VerifyQrAsync_HostileInput_InvalidWithReason(string name, string text, string reason)
    {
        var report = await VerifyAsync(text);

        Assert.True(report.Result == VerificationResults.Invalid, name + ": " + report.Result);
        Assert.True(report.Reasons.Any(r => r.Contains(reason, StringComparison.Ordinal)), name + ": " + string.Join("; ", report.Reasons));
        Assert.Null(report.Certificate);
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
            Assert.True(report.Result != VerificationResults.Valid || mutated == text, mutated);
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

    // Re-encodes a COSE_Sign with signer <paramref name="index"/>'s signature (and optionally kid) replaced.
    private static byte[] Rewrite(byte[] cose, int index, byte[] signature, byte[]? keyId)
    {
        var reader = new CborReader(cose);
        var writer = new CborWriter();
        writer.WriteTag(reader.ReadTag());
        writer.WriteStartArray(reader.ReadStartArray());
        writer.WriteByteString(reader.ReadByteString());
        writer.WriteEncodedValue(reader.ReadEncodedValue().Span);
        writer.WriteByteString(reader.ReadByteString());
        var count = reader.ReadStartArray()!.Value;
        writer.WriteStartArray(count);
        for (var i = 0; i < count; i++)
        {
            reader.ReadStartArray();
            writer.WriteStartArray(3);
            writer.WriteByteString(reader.ReadByteString());
            var unprotected = reader.ReadEncodedValue();
            var original = reader.ReadByteString();
            if (i == index && keyId is not null)
            {
                writer.WriteStartMap(1);
                writer.WriteInt32(4);
                writer.WriteByteString(keyId);
                writer.WriteEndMap();
            }
            else
            {
                writer.WriteEncodedValue(unprotected.Span);
            }

            writer.WriteByteString(i == index ? signature : original);
            reader.ReadEndArray();
            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndArray();
        return writer.Encode();
    }
}

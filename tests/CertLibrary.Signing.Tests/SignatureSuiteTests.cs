using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class SignatureSuiteTests
{
    private static readonly byte[] Data = "一号申请 certificate payload"u8.ToArray();

    public static TheoryData<string> Algorithms => TestFixtures.Algorithms;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Verify_SignatureOfSameKey_ReturnsTrue(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();

        var signature = suite.CreateSigner(pair.Pkcs8PrivateKey).Sign(Data);

        Assert.Equal(64, signature.Length);
        Assert.True(suite.Verify(pair.SubjectPublicKeyInfo, Data, signature));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Sign_OneSignerOnEveryCore_EverySignatureVerifiesOverItsOwnData(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();
        var signer = suite.CreateSigner(pair.Pkcs8PrivateKey);
        var messages = Enumerable.Range(0, 400).Select(i => System.Text.Encoding.UTF8.GetBytes($"payload {i}")).ToArray();
        var signatures = new byte[messages.Length][];

        Parallel.For(0, messages.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) },
            i => signatures[i] = signer.Sign(messages[i]));

        Assert.All(Enumerable.Range(0, messages.Length), i => Assert.True(suite.Verify(pair.SubjectPublicKeyInfo, messages[i], signatures[i])));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, messages[1], signatures[0]));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Verify_OtherKey_ReturnsFalse(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var signer = suite.CreateSigner(suite.GenerateKeyPair().Pkcs8PrivateKey);
        var other = suite.GenerateKeyPair();

        Assert.False(suite.Verify(other.SubjectPublicKeyInfo, Data, signer.Sign(Data)));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Verify_OtherData_ReturnsFalse(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();
        var signature = suite.CreateSigner(pair.Pkcs8PrivateKey).Sign(Data);
        var other = (byte[])Data.Clone();
        other[^1] ^= 1;

        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, other, signature));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Verify_MalformedKeyOrSignature_ReturnsFalseWithoutThrowing(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();
        var signature = suite.CreateSigner(pair.Pkcs8PrivateKey).Sign(Data);
        var otherSuite = TestFixtures.Suites.All.Single(s => s.Algorithm != algorithm);
        var foreignKey = otherSuite.GenerateKeyPair().SubjectPublicKeyInfo;

        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, Data, []));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, Data, signature[..63]));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, Data, [.. signature, 0]));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, Data, new byte[64]));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo, Data, Enumerable.Repeat((byte)0xFF, 64).ToArray()));
        Assert.False(suite.Verify([], Data, signature));
        Assert.False(suite.Verify([0x30, 0x03, 0x02, 0x01, 0x01], Data, signature));
        Assert.False(suite.Verify(pair.SubjectPublicKeyInfo[..^1], Data, signature));
        Assert.False(suite.Verify([.. pair.SubjectPublicKeyInfo, 0], Data, signature));
        Assert.False(suite.Verify(foreignKey, Data, signature));
        Assert.False(suite.Verify(pair.Pkcs8PrivateKey, Data, signature));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void CreateSigner_ForeignOrGarbageKey_Throws(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var otherSuite = TestFixtures.Suites.All.Single(s => s.Algorithm != algorithm);

        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => suite.CreateSigner(otherSuite.GenerateKeyPair().Pkcs8PrivateKey));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => suite.CreateSigner([1, 2, 3]));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void ImportJwk_ExportedJwk_ReturnsSameSubjectPublicKeyInfo(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();

        var jwk = suite.ExportJwk(pair.SubjectPublicKeyInfo);

        Assert.Equal("EC", (string?)jwk["kty"]);
        Assert.Equal(algorithm == "SM2" ? "SM2" : "P-256", (string?)jwk["crv"]);
        Assert.Equal(32, Base64Url.Decode((string)jwk["x"]!).Length);
        Assert.Equal(32, Base64Url.Decode((string)jwk["y"]!).Length);
        Assert.Equal(pair.SubjectPublicKeyInfo, suite.ImportJwk(jwk));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void ImportJwk_BadJwk_ThrowsJwkFormatException(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var good = suite.ExportJwk(suite.GenerateKeyPair().SubjectPublicKeyInfo);
        JsonObject With(string name, JsonNode? value)
        {
            var copy = (JsonObject)good.DeepClone();
            copy[name] = value;
            return copy;
        }

        var notOnCurve = Base64Url.Decode((string)good["y"]!);
        notOnCurve[^1] ^= 1;
        var bad = new[]
        {
            With("kty", "RSA"),
            With("kty", null),
            With("crv", algorithm == "SM2" ? "P-256" : "SM2"),
            With("x", "not base64url!"),
            With("x", Base64Url.Encode(new byte[31])),
            With("y", 42),
            With("y", Base64Url.Encode(notOnCurve)),
            With("d", Base64Url.Encode(new byte[32])),
            [],
        };

        foreach (var jwk in bad)
        {
            Assert.Throws<JwkFormatException>(() => suite.ImportJwk(jwk));
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Sign_ParallelCallsOnOneSigner_AllVerify(string algorithm)
    {
        var suite = TestFixtures.Suite(algorithm);
        var pair = suite.GenerateKeyPair();
        var signer = suite.CreateSigner(pair.Pkcs8PrivateKey);

        var signatures = Enumerable.Range(0, 64).AsParallel().Select(i => (i, signer.Sign([(byte)i]))).ToList();

        Assert.All(signatures, s => Assert.True(suite.Verify(pair.SubjectPublicKeyInfo, [(byte)s.i], s.Item2)));
    }

    [Fact]
    public void Sm2Suite_KeysOpenedByOpenssl_AreStandardSm2Keys()
    {
        var suite = TestFixtures.Suite("SM2");
        var pair = suite.GenerateKeyPair();
        using var temp = new TempDirectory();
        var directory = temp.Path;
        File.WriteAllBytes(Path.Combine(directory, "pub.der"), pair.SubjectPublicKeyInfo);
        File.WriteAllBytes(Path.Combine(directory, "key.der"), pair.Pkcs8PrivateKey);

        var publicText = Tools.OpenSsl("pkey", "-pubin", "-inform", "DER", "-in", Path.Combine(directory, "pub.der"), "-text", "-noout");
        var privateText = Tools.OpenSsl("pkey", "-inform", "DER", "-in", Path.Combine(directory, "key.der"), "-text", "-noout");
        var derivedPublic = Tools.OpenSsl("pkey", "-inform", "DER", "-in", Path.Combine(directory, "key.der"), "-pubout", "-outform", "DER", "-out", Path.Combine(directory, "derived.der"));

        Assert.Contains("SM2", publicText, StringComparison.Ordinal);
        Assert.Contains("SM2", privateText, StringComparison.Ordinal);
        Assert.Equal(pair.SubjectPublicKeyInfo, File.ReadAllBytes(Path.Combine(directory, "derived.der")));
        Assert.Empty(derivedPublic);
    }

    [Fact]
    public void SignatureSuites_DuplicateAlgorithm_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SignatureSuites([new Es256Suite(), new Es256Suite()]));
    }

    [Fact]
    public void SignatureSuites_TryGet_IsCaseSensitiveAndNullSafe()
    {
        Assert.True(TestFixtures.Suites.TryGet("SM2", out _));
        Assert.False(TestFixtures.Suites.TryGet("sm2", out _));
        Assert.False(TestFixtures.Suites.TryGet(null, out _));
    }
}

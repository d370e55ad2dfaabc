using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class JwsTests
{
    private const string Typ = "certlib-cert+json";
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"id\":\"1.2.156.3005.2.x\",\"holder\":\"张*三\"}");

    public static TheoryData<string> Algorithms => TestFixtures.Algorithms;

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void VerifyCompact_SignedCompact_ReturnsPayloadAndKey(string algorithm)
    {
        var signer = TestFixtures.Signer(algorithm, out var key);

        var result = Jws.VerifyCompact(Jws.SignCompact(Payload, signer, Typ), new StaticJwsKeyResolver([key]));

        Assert.True(result.IsValid, string.Join(", ", result.Reasons));
        Assert.Equal(Payload, result.Payload);
        var signature = Assert.Single(result.Signatures);
        Assert.Equal((algorithm, key.KeyId, Typ), (signature.Algorithm!, signature.KeyId!, signature.Type!));
        Assert.Same(key, signature.Key);
    }

    [Fact]
    public void VerifyGeneral_BothSuites_ReturnsValidWithBothAlgorithms()
    {
        var es = TestFixtures.Signer("ES256", out var esKey);
        var sm = TestFixtures.Signer("SM2", out var smKey);
        var document = Jws.SignGeneral(Payload, [es, sm], Typ);

        var result = Jws.VerifyGeneral(document, new StaticJwsKeyResolver([esKey, smKey]), ["ES256", "SM2"]);

        Assert.True(result.IsValid, string.Join(", ", result.Reasons));
        Assert.Equal(Payload, result.Payload);
        Assert.Equal(["ES256", "SM2"], result.Signatures.Select(s => s.Algorithm));
        var header = JsonNode.Parse(Base64Url.Decode((string)document["signatures"]![0]!["protected"]!))!.AsObject();
        Assert.Equal(["alg", "kid", "typ"], header.Select(p => p.Key));
    }

    [Fact]
    public void VerifyGeneral_SerializedString_ReturnsValid()
    {
        var signer = TestFixtures.Signer("SM2", out var key);

        var result = Jws.VerifyGeneral(Jws.SignGeneral(Payload, [signer], Typ).ToJsonString(), new StaticJwsKeyResolver([key]));

        Assert.True(result.IsValid);
    }

    [Fact]
    public void VerifyGeneral_RequiredAlgorithmMissing_ReturnsInvalid()
    {
        var signer = TestFixtures.Signer("ES256", out var key);

        var result = Jws.VerifyGeneral(Jws.SignGeneral(Payload, [signer], Typ), new StaticJwsKeyResolver([key]), ["ES256", "SM2"]);

        Assert.False(result.IsValid);
        Assert.Null(result.Payload);
        Assert.Contains("required alg missing: SM2", result.Reasons);
    }

    [Fact]
    public void VerifyGeneral_OneOfTwoSignaturesInvalid_ReturnsInvalidByDefault()
    {
        var es = TestFixtures.Signer("ES256", out var esKey);
        var sm = TestFixtures.Signer("SM2", out _);

        var result = Jws.VerifyGeneral(Jws.SignGeneral(Payload, [es, sm], Typ), new StaticJwsKeyResolver([esKey]));

        Assert.False(result.IsValid);
        Assert.True(result.Signatures[0].IsValid);
        Assert.Equal(JwsReasons.UnknownKeyId, result.Signatures[1].Reason);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void VerifyCompact_WrongKey_ReturnsSignatureMismatch(string algorithm)
    {
        var signer = TestFixtures.Signer(algorithm, out var key);
        TestFixtures.Signer(algorithm, out var other);
        var impostor = new JwsVerificationKey(other.Suite, key.KeyId, other.SubjectPublicKeyInfo);

        var result = Jws.VerifyCompact(Jws.SignCompact(Payload, signer, Typ), new StaticJwsKeyResolver([impostor]));

        Assert.False(result.IsValid);
        Assert.Equal([JwsReasons.SignatureMismatch], result.Reasons);
    }

    [Fact]
    public void VerifyCompact_SeveralKeysShareKid_TriesEach()
    {
        var signer = TestFixtures.Signer("SM2", out var key);
        TestFixtures.Signer("SM2", out var other);
        TestFixtures.Signer("ES256", out var otherAlg);
        var candidates = new[]
        {
            new JwsVerificationKey(otherAlg.Suite, key.KeyId, otherAlg.SubjectPublicKeyInfo),
            new JwsVerificationKey(other.Suite, key.KeyId, other.SubjectPublicKeyInfo),
            key,
        };

        var result = Jws.VerifyCompact(Jws.SignCompact(Payload, signer, Typ), new StaticJwsKeyResolver(candidates));

        Assert.True(result.IsValid);
        Assert.Same(key, result.Signatures[0].Key);
    }

    [Fact]
    public void VerifyCompact_HeaderAlgDiffersFromKeyAlg_ReturnsAlgMismatch()
    {
        var signer = TestFixtures.Signer("SM2", out var key);
        var lying = new JwsSigner("ES256", key.KeyId, signer.Signer);

        var result = Jws.VerifyCompact(Jws.SignCompact(Payload, lying, Typ), new StaticJwsKeyResolver([key]));

        Assert.False(result.IsValid);
        Assert.Equal([JwsReasons.AlgorithmMismatch], result.Reasons);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void VerifyCompact_AnySignatureByteFlipped_ReturnsInvalid(string algorithm)
    {
        var signer = TestFixtures.Signer(algorithm, out var key);
        var resolver = new StaticJwsKeyResolver([key]);
        var compact = Jws.SignCompact(Payload, signer, Typ);
        var parts = compact.Split('.');
        var signature = Base64Url.Decode(parts[2]);

        for (var i = 0; i < signature.Length; i++)
        {
            for (var bit = 0; bit < 8; bit += 7)
            {
                var tampered = (byte[])signature.Clone();
                tampered[i] ^= (byte)(1 << bit);
                var result = Jws.VerifyCompact($"{parts[0]}.{parts[1]}.{Base64Url.Encode(tampered)}", resolver);
                Assert.False(result.IsValid, $"signature byte {i} bit {bit}");
                Assert.Equal([JwsReasons.SignatureMismatch], result.Reasons);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void VerifyCompact_AnyPayloadOrHeaderByteFlipped_ReturnsInvalid(string algorithm)
    {
        var signer = TestFixtures.Signer(algorithm, out var key);
        var resolver = new StaticJwsKeyResolver([key]);
        var parts = Jws.SignCompact(Payload, signer, Typ).Split('.');
        var header = Base64Url.Decode(parts[0]);

        for (var i = 0; i < Payload.Length; i++)
        {
            var tampered = (byte[])Payload.Clone();
            tampered[i] ^= 0x01;
            Assert.False(Jws.VerifyCompact($"{parts[0]}.{Base64Url.Encode(tampered)}.{parts[2]}", resolver).IsValid, $"payload byte {i}");
        }

        for (var i = 0; i < header.Length; i++)
        {
            var tampered = (byte[])header.Clone();
            tampered[i] ^= 0x01;
            Assert.False(Jws.VerifyCompact($"{Base64Url.Encode(tampered)}.{parts[1]}.{parts[2]}", resolver).IsValid, $"header byte {i}");
        }
    }

    [Fact]
    public void VerifyGeneral_AnyByteOfAnyPartFlipped_ReturnsInvalid()
    {
        var es = TestFixtures.Signer("ES256", out var esKey);
        var sm = TestFixtures.Signer("SM2", out var smKey);
        var resolver = new StaticJwsKeyResolver([esKey, smKey]);
        var document = Jws.SignGeneral(Payload, [es, sm], Typ);
        var paths = new List<Func<JsonObject, JsonObject>>
        {
            d => d,
            d => d["signatures"]![0]!.AsObject(),
            d => d["signatures"]![1]!.AsObject(),
        };

        foreach (var (path, member) in new[] { (0, "payload"), (1, "protected"), (1, "signature"), (2, "protected"), (2, "signature") })
        {
            var bytes = Base64Url.Decode((string)paths[path](document)[member]!);
            for (var i = 0; i < bytes.Length; i++)
            {
                var tampered = (byte[])bytes.Clone();
                tampered[i] ^= 0x01;
                var copy = (JsonObject)document.DeepClone();
                paths[path](copy)[member] = Base64Url.Encode(tampered);
                Assert.False(Jws.VerifyGeneral(copy, resolver).IsValid, $"{member} #{path} byte {i}");
            }
        }
    }

    [Fact]
    public void VerifyGeneral_FlattenedSerialization_ReturnsValid()
    {
        var signer = TestFixtures.Signer("ES256", out var key);
        var general = Jws.SignGeneral(Payload, [signer], Typ);
        var flattened = new JsonObject
        {
            ["payload"] = (string)general["payload"]!,
            ["protected"] = (string)general["signatures"]![0]!["protected"]!,
            ["signature"] = (string)general["signatures"]![0]!["signature"]!,
        };

        Assert.True(Jws.VerifyGeneral(flattened, new StaticJwsKeyResolver([key])).IsValid);
    }

    [Fact]
    public void SignGeneral_NoSigners_Throws()
    {
        Assert.Throws<ArgumentException>(() => Jws.SignGeneral(Payload, [], Typ));
    }
}

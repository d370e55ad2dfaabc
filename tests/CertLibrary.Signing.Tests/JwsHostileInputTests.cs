using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

public sealed class JwsHostileInputTests
{
    private static readonly JwsSigner Signer = TestFixtures.Signer("ES256", out Key);
    private static readonly JwsVerificationKey Key;
    private static readonly StaticJwsKeyResolver Resolver = new([Key]);
    private static readonly string Valid = Jws.SignCompact("{\"a\":1}"u8, Signer, "certlib-cert+json");

    /// <summary>A compact JWS whose header is exactly <paramref name="headerJson"/>, correctly signed by <see cref="Signer"/>.</summary>
    private static string Craft(string headerJson, string payload = "e30")
    {
        var header = Base64Url.Encode(Encoding.UTF8.GetBytes(headerJson));
        var signature = Signer.Signer.Sign(Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url.Encode(signature)}";
    }

    private static void AssertRejected(JwsVerificationResult result, string reason)
    {
        Assert.False(result.IsValid);
        Assert.Null(result.Payload);
        Assert.Contains(reason, result.Reasons);
    }

    [Fact]
    public void VerifyCompact_CraftedValidHeader_ReturnsValid()
    {
        // Guards the tests below: Craft makes genuinely valid signatures.
        Assert.True(Jws.VerifyCompact(Craft($"{{\"alg\":\"ES256\",\"kid\":\"{Key.KeyId}\"}}"), Resolver).IsValid);
        Assert.True(Jws.VerifyCompact(Valid, Resolver).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("a.b.c.d.e")]
    public void VerifyCompact_WrongNumberOfParts_ReturnsReason(string input)
    {
        var result = Jws.VerifyCompact(input, Resolver);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Reasons);
    }

    [Fact]
    public void VerifyCompact_NullOrExtraDots_ReturnsMalformedCompact()
    {
        AssertRejected(Jws.VerifyCompact(null, Resolver), JwsReasons.MalformedCompact);
        AssertRejected(Jws.VerifyCompact(Valid + ".", Resolver), JwsReasons.MalformedCompact);
        AssertRejected(Jws.VerifyCompact("." + Valid, Resolver), JwsReasons.MalformedCompact);
        AssertRejected(Jws.VerifyCompact(Valid.Replace(".", "..", StringComparison.Ordinal), Resolver), JwsReasons.MalformedCompact);
    }

    [Fact]
    public void VerifyCompact_EveryTruncation_ReturnsInvalidWithoutThrowing()
    {
        for (var length = 0; length < Valid.Length; length++)
        {
            var result = Jws.VerifyCompact(Valid[..length], Resolver);
            Assert.False(result.IsValid, $"length {length}");
            Assert.NotEmpty(result.Reasons);
        }
    }

    [Theory]
    [InlineData("!!!")]
    [InlineData("a+b/")]
    [InlineData("YWJj=")]
    [InlineData("Y")]
    [InlineData("6L+Z")]
    [InlineData("ÿÿÿÿ")]
    public void VerifyCompact_BadBase64UrlInAnyPart_ReturnsMalformedBase64Url(string bad)
    {
        var parts = Valid.Split('.');

        AssertRejected(Jws.VerifyCompact($"{bad}.{parts[1]}.{parts[2]}", Resolver), JwsReasons.MalformedBase64Url);
        AssertRejected(Jws.VerifyCompact($"{parts[0]}.{bad}.{parts[2]}", Resolver), JwsReasons.MalformedBase64Url);
        AssertRejected(Jws.VerifyCompact($"{parts[0]}.{parts[1]}.{bad}", Resolver), JwsReasons.MalformedBase64Url);
    }

    [Fact]
    public void VerifyCompact_OneMegabyte_ReturnsTooLargeBeforeDecoding()
    {
        var huge = new string('A', 1024 * 1024);

        AssertRejected(Jws.VerifyCompact(huge, Resolver), JwsReasons.TooLarge);
        AssertRejected(Jws.VerifyCompact($"{huge}.{huge}.{huge}", Resolver), JwsReasons.TooLarge);
        AssertRejected(Jws.VerifyCompact(Craft($"{{\"alg\":\"ES256\",\"kid\":\"{Key.KeyId}\"}}", new string('A', Jws.MaxCompactLength)), Resolver), JwsReasons.TooLarge);
    }

    [Fact]
    public void VerifyGeneral_OneMegabyte_ReturnsTooLarge()
    {
        var huge = new string('A', 1024 * 1024);
        var document = new JsonObject
        {
            ["payload"] = huge,
            ["signatures"] = new JsonArray(new JsonObject { ["protected"] = "e30", ["signature"] = "AA" }),
        };

        AssertRejected(Jws.VerifyGeneral(document, Resolver), JwsReasons.TooLarge);
        AssertRejected(Jws.VerifyGeneral(document.ToJsonString(), Resolver), JwsReasons.TooLarge);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    public void VerifyCompact_AlgNone_ReturnsAlgNoneNotAllowed(string none)
    {
        var header = Base64Url.Encode(Encoding.UTF8.GetBytes($"{{\"alg\":\"{none}\",\"kid\":\"{Key.KeyId}\"}}"));

        AssertRejected(Jws.VerifyCompact($"{header}.e30.", Resolver), JwsReasons.AlgorithmNone);
        AssertRejected(Jws.VerifyCompact($"{header}.e30.AAAA", Resolver), JwsReasons.AlgorithmNone);
    }

    [Theory]
    [InlineData("{\"alg\":\"HS256\",\"kid\":\"KID\"}", JwsReasons.UnsupportedAlgorithm)]
    [InlineData("{\"alg\":\"RS256\",\"kid\":\"KID\"}", JwsReasons.UnsupportedAlgorithm)]
    [InlineData("{\"alg\":\"es256\",\"kid\":\"KID\"}", JwsReasons.UnsupportedAlgorithm)]
    [InlineData("{\"kid\":\"KID\"}", JwsReasons.MissingAlgorithm)]
    [InlineData("{\"alg\":256,\"kid\":\"KID\"}", JwsReasons.MissingAlgorithm)]
    [InlineData("{\"alg\":\"ES256\"}", JwsReasons.MissingKeyId)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":[\"KID\"]}", JwsReasons.MissingKeyId)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"unknown\"}", JwsReasons.UnknownKeyId)]
    [InlineData("{\"alg\":\"SM2\",\"kid\":\"KID\"}", JwsReasons.AlgorithmMismatch)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"crit\":[\"exp\"],\"exp\":1}", JwsReasons.CriticalHeader)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"crit\":[]}", JwsReasons.CriticalHeader)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"alg\":\"ES256\"}", JwsReasons.DuplicateHeaderMember)]
    [InlineData("{\"alg\":\"none\",\"kid\":\"KID\",\"alg\":\"ES256\"}", JwsReasons.DuplicateHeaderMember)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"typ\":7}", JwsReasons.MalformedHeader)]
    [InlineData("[\"ES256\"]", JwsReasons.MalformedHeader)]
    [InlineData("\"ES256\"", JwsReasons.MalformedHeader)]
    [InlineData("null", JwsReasons.MalformedHeader)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\"", JwsReasons.MalformedHeader)]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\"} {}", JwsReasons.MalformedHeader)]
    [InlineData("", JwsReasons.MalformedHeader)]
    public void VerifyCompact_HostileHeaderWithValidSignature_ReturnsReason(string header, string reason)
    {
        var result = Jws.VerifyCompact(Craft(header.Replace("KID", Key.KeyId, StringComparison.Ordinal)), Resolver);

        AssertRejected(result, reason);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x6C, 0x67, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D })] // {"alg":"\xFF"}
    [InlineData(new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D })] // {"\xC3(":1}
    public void VerifyCompact_HeaderNotUtf8_ReturnsMalformedHeader(byte[] headerBytes)
    {
        var header = Base64Url.Encode(headerBytes);
        var signature = Signer.Signer.Sign(Encoding.ASCII.GetBytes($"{header}.e30"));

        var result = Jws.VerifyCompact($"{header}.e30.{Base64Url.Encode(signature)}", Resolver);

        AssertRejected(result, JwsReasons.MalformedHeader);
    }

    [Theory]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"\\uD800\"}")]
    [InlineData("{\"alg\":\"ES256\",\"kid\":\"KID\",\"\\uDC00x\":1}")]
    public void VerifyCompact_HeaderWithLoneSurrogateEscape_ReturnsMalformedHeader(string header)
    {
        var result = Jws.VerifyCompact(Craft(header.Replace("KID", Key.KeyId, StringComparison.Ordinal)), Resolver);

        AssertRejected(result, JwsReasons.MalformedHeader);
    }

    [Fact]
    public void VerifyCompact_DeeplyNestedHeader_ReturnsMalformedHeader()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        var shallowEnough = $"{{\"alg\":\"ES256\",\"kid\":\"{Key.KeyId}\",\"x\":{new string('[', 10)}{new string(']', 10)}}}";

        AssertRejected(Jws.VerifyCompact(Craft($"{{\"alg\":\"ES256\",\"kid\":\"{Key.KeyId}\",\"x\":{nested}}}"), Resolver), JwsReasons.MalformedHeader);
        Assert.True(Jws.VerifyCompact(Craft(shallowEnough), Resolver).IsValid);
    }

    [Fact]
    public void VerifyGeneral_DeeplyNestedJson_ReturnsMalformedJson()
    {
        var nested = "{\"payload\":\"e30\",\"x\":" + new string('[', 2000) + new string(']', 2000) + "}";

        AssertRejected(Jws.VerifyGeneral(nested, Resolver), JwsReasons.MalformedJson);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"jws\"")]
    [InlineData("{")]
    [InlineData("{}")]
    [InlineData("{\"payload\":1,\"signatures\":[]}")]
    [InlineData("{\"payload\":\"e30\",\"signatures\":{}}")]
    [InlineData("{\"payload\":\"e30\",\"signatures\":[1]}")]
    [InlineData("{\"payload\":\"e30\",\"signatures\":[null]}")]
    [InlineData("{\"payload\":\"e30\",\"signatures\":[],\"signature\":\"AA\"}")]
    public void VerifyGeneral_MalformedDocument_ReturnsReason(string json)
    {
        var result = Jws.VerifyGeneral(json, Resolver);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Reasons);
    }

    [Fact]
    public void VerifyGeneral_EmptySignatures_ReturnsNoSignatures()
    {
        AssertRejected(Jws.VerifyGeneral("{\"payload\":\"e30\",\"signatures\":[]}", Resolver), JwsReasons.NoSignatures);
        AssertRejected(Jws.VerifyGeneral("{\"payload\":\"e30\"}", Resolver), JwsReasons.NoSignatures);
    }

    [Fact]
    public void VerifyGeneral_SignatureMembersMissingOrWrongType_ReturnsMalformedJson()
    {
        var document = Jws.SignGeneral("{}"u8, [Signer], "t");
        var noProtected = (JsonObject)document.DeepClone();
        noProtected["signatures"]![0]!.AsObject().Remove("protected");
        var numericSignature = (JsonObject)document.DeepClone();
        numericSignature["signatures"]![0]!["signature"] = 5;

        AssertRejected(Jws.VerifyGeneral(noProtected, Resolver), JwsReasons.MalformedJson);
        AssertRejected(Jws.VerifyGeneral(numericSignature, Resolver), JwsReasons.MalformedJson);
    }

    [Fact]
    public void VerifyGeneral_UnprotectedHeader_ReturnsReason()
    {
        var document = Jws.SignGeneral("{}"u8, [Signer], "t");
        document["signatures"]![0]!["header"] = new JsonObject { ["kid"] = "other" };

        AssertRejected(Jws.VerifyGeneral(document, Resolver), JwsReasons.UnprotectedHeader);
    }

    [Fact]
    public void VerifyGeneral_TooManySignatures_ReturnsReason()
    {
        var signatures = new JsonArray();
        for (var i = 0; i <= Jws.MaxSignatures; i++)
        {
            signatures.Add(new JsonObject { ["protected"] = "e30", ["signature"] = "AA" });
        }

        AssertRejected(Jws.VerifyGeneral(new JsonObject { ["payload"] = "e30", ["signatures"] = signatures }, Resolver), JwsReasons.TooManySignatures);
    }

    [Fact]
    public void VerifyGeneral_UnknownKid_ReturnsUnknownKid()
    {
        var stranger = TestFixtures.Signer("SM2", out _);

        AssertRejected(Jws.VerifyGeneral(Jws.SignGeneral("{}"u8, [stranger], "t"), Resolver), JwsReasons.UnknownKeyId);
    }

    [Fact]
    public void VerifyCompact_RandomGarbage_NeverThrows()
    {
        var random = new Random(20260301);
        const string alphabet = "ABCabc019-_.=+/{}\": \u0000ÿ张";
        for (var i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 200)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            var input = new string(chars);
            Assert.False(Jws.VerifyCompact(input, Resolver).IsValid);
            Assert.False(Jws.VerifyGeneral(input, Resolver).IsValid);
        }
    }
}

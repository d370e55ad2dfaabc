using System.Text;
using System.Text.Json.Nodes;
using CertLibrary.Signing.Tests.TestSupport;

namespace CertLibrary.Signing.Tests;

/// <summary>ES256 JWS against npm <c>jose</c>, in both directions.</summary>
public sealed class InteropJoseTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"id\":\"1.2.156.3005.2.11100000000013338W011.11110000000021135M.20230329701.003.Y\",\"n\":\"张*三\"}");

    [Fact]
    public void SignGeneral_Es256_VerifiesWithJoseGeneralVerify()
    {
        var signer = TestFixtures.Signer("ES256", out var key);
        var jws = Jws.SignGeneral(Payload, [signer], "certlib-cert+json");
        var input = new JsonObject { ["jws"] = jws, ["jwk"] = key.Suite.ExportJwk(key.SubjectPublicKeyInfo) };

        var output = JsonNode.Parse(Tools.Node("jose-general-verify.mjs", input.ToJsonString()))!;

        Assert.True((bool)output["ok"]!, output.ToJsonString());
        Assert.Equal(Payload, Base64Url.Decode((string)output["payload"]!));
        Assert.Equal(key.KeyId, (string?)output["header"]!["kid"]);
        Assert.Equal("certlib-cert+json", (string?)output["header"]!["typ"]);
    }

    [Fact]
    public void SignGeneral_TamperedSignature_IsRejectedByJose()
    {
        var signer = TestFixtures.Signer("ES256", out var key);
        var jws = Jws.SignGeneral(Payload, [signer], "certlib-cert+json");
        var signature = Base64Url.Decode((string)jws["signatures"]![0]!["signature"]!);
        signature[10] ^= 1;
        jws["signatures"]![0]!["signature"] = Base64Url.Encode(signature);
        var input = new JsonObject { ["jws"] = jws, ["jwk"] = key.Suite.ExportJwk(key.SubjectPublicKeyInfo) };

        var output = JsonNode.Parse(Tools.Node("jose-general-verify.mjs", input.ToJsonString()))!;

        Assert.False((bool)output["ok"]!);
    }

    [Fact]
    public void VerifyGeneralAndCompact_JoseSignatures_Verify()
    {
        var input = new JsonObject { ["payload"] = Base64Url.Encode(Payload), ["typ"] = "certlib-cert+json" };
        var output = JsonNode.Parse(Tools.Node("jose-sign.mjs", input.ToJsonString()))!;
        var suite = TestFixtures.Suite("ES256");
        var spki = suite.ImportJwk(output["jwk"]!.AsObject());
        var kid = (string)output["kid"]!;
        var resolver = new StaticJwsKeyResolver([new JwsVerificationKey(suite, kid, spki)]);

        var general = Jws.VerifyGeneral(output["general"], resolver);
        var compact = Jws.VerifyCompact((string)output["compact"]!, resolver);

        Assert.Equal(KeyId.Compute(spki), kid);
        Assert.True(general.IsValid, string.Join(", ", general.Reasons));
        Assert.True(compact.IsValid, string.Join(", ", compact.Reasons));
        Assert.Equal(Payload, general.Payload);
        Assert.Equal(Payload, compact.Payload);
        var tampered = ((string)output["compact"]!)[..^2] + (((string)output["compact"]!)[^2] == 'A' ? "B" : "A") + ((string)output["compact"]!)[^1];
        Assert.False(Jws.VerifyCompact(tampered, resolver).IsValid);
    }
}

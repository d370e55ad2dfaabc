using System.Text;
using CertLibrary.Signing;

namespace CertLibrary.Verification.Tests;

public sealed class OfflineQrTests
{
    private const string Id = "1.2.156.3005.2.11100000000013338W001.11100000000013338W.X.001.Y";

    [Fact]
    public void TryReadUnverifiedId_SignedQr_ReturnsItsId()
    {
        var suite = new Es256Suite();
        var pair = suite.GenerateKeyPair();
        var signer = new JwsSigner("ES256", KeyId.Compute(pair.SubjectPublicKeyInfo), suite.CreateSigner(pair.Pkcs8PrivateKey));
        var now = DateTimeOffset.UtcNow;
        var qr = OfflineQr.Create(new QrClaims(Id, "T", "I", "张小三", now, now.AddYears(1), "list-1", 42), "11010519491231002X", signer);

        Assert.True(OfflineQr.TryReadUnverifiedId(qr, out var id));
        Assert.Equal(Id, id);
        Assert.False(OfflineQr.TryReadUnverifiedId(" " + qr, out _)); // the prefix comes first, as for the verifier
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("CL1:")]
    [InlineData("CL1:abc")]
    [InlineData("CL2:a.e30.b")]
    [InlineData("CL1:a.!!!.b")]
    public void TryReadUnverifiedId_NotAQr_False(string? text) => Assert.False(OfflineQr.TryReadUnverifiedId(text, out _));

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("{\"id\": 7}")]
    [InlineData("{\"t\": \"x\"")]
    [InlineData("{\"id\": \"\\ud800\"}")]
    [InlineData("not json")]
    public void TryReadUnverifiedId_PayloadWithoutStringId_False(string payload)
    {
        var text = "CL1:eyJhbGciOiJFUzI1NiJ9." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload)) + ".c2ln";
        Assert.False(OfflineQr.TryReadUnverifiedId(text, out _));
    }

    [Fact]
    public void TryReadUnverifiedId_IdAfterOtherMembers_Found()
    {
        var payload = "{\"n\": {\"deep\": [1, 2, {\"id\": \"no\"}]}, \"id\": \"" + Id + "\"}";
        var text = "CL1:eyJhbGciOiJFUzI1NiJ9." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload)) + ".c2ln";
        Assert.True(OfflineQr.TryReadUnverifiedId(text, out var id));
        Assert.Equal(Id, id);
    }
}

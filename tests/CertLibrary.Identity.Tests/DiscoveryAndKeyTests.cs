using System.Text.Json;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CertLibrary.Identity.Tests;

public sealed class DiscoveryAndKeyTests
{
    [Fact]
    public async Task Discovery_ConfiguredIssuer_EndpointsAndIssuerMatch()
    {
        using var factory = new IdentityApiFactory { Issuer = "https://id.example.gov.cn/" };
        using var http = factory.CreateClient();

        var discovery = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration"));

        Assert.Equal("https://id.example.gov.cn", discovery.GetProperty("issuer").GetString());
        Assert.Equal("https://id.example.gov.cn/connect/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal("https://id.example.gov.cn/.well-known/openid-configuration/jwks", discovery.GetProperty("jwks_uri").GetString());
        Assert.Equal(["S256"], discovery.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["code"], discovery.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.True(discovery.GetProperty("authorization_response_iss_parameter_supported").GetBoolean());
    }

    [Fact]
    public async Task Discovery_NoConfiguredIssuer_DerivedFromRequestAndEqualToTokenIss()
    {
        using var factory = new IdentityApiFactory { Issuer = null };
        using var http = factory.CreateClient();
        var client = await factory.CreateDepartmentClientAsync();

        var discovery = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration"));
        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client);
        var jwt = new JsonWebToken((await IdentityApiFactory.JsonAsync(response)).GetProperty("access_token").GetString());

        Assert.Equal("http://localhost", discovery.GetProperty("issuer").GetString());
        Assert.Equal(discovery.GetProperty("issuer").GetString(), jwt.Issuer);
    }

    [Fact]
    public async Task Jwks_PublishesOnlyPublicEs256Keys()
    {
        using var factory = new IdentityApiFactory();
        using var http = factory.CreateClient();

        var jwks = await IdentityApiFactory.JsonAsync(await http.GetAsync("/.well-known/openid-configuration/jwks"));

        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.False(key.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task SigningKey_PrivateKeyIsEncryptedAtRest()
    {
        using var factory = new IdentityApiFactory();
        using var http = factory.CreateClient();
        await http.GetAsync("/.well-known/openid-configuration/jwks");
        var database = factory.Services.GetRequiredService<ICertLibraryDatabase>();
        await using var connection = await database.OpenConnectionAsync(default);

        var stored = await connection.QuerySingleAsync<byte[]>("SELECT sealed_private_key FROM identity_signing_keys");

        // A PKCS#8 DER key starts with a SEQUENCE (0x30); the sealed form starts with its format version byte.
        Assert.NotEqual(0x30, stored[0]);
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() =>
        {
            using var ecdsa = System.Security.Cryptography.ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(stored, out _);
        });
    }

    [Fact]
    public async Task SigningKey_Rotation_AnnouncesNewKeyBeforeItSignsAndKeepsOldKeyPublished()
    {
        var time = new TestTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var factory = new IdentityApiFactory { Time = time };
        using var http = factory.CreateClient();
        var client = await factory.CreateDepartmentClientAsync();
        var first = await KidOfNewTokenAsync(http, client);

        time.Advance(TimeSpan.FromDays(29)); // lifetime 30 d, announce 2 d: the successor is now published, not signing
        var stillFirst = await KidOfNewTokenAsync(http, client);
        var announced = await PublishedKidsAsync(http);

        time.Advance(TimeSpan.FromDays(2)); // past the successor's activation
        var second = await KidOfNewTokenAsync(http, client);
        var afterRotation = await PublishedKidsAsync(http);

        Assert.Equal(first, stillFirst);
        Assert.Equal(2, announced.Count);
        Assert.Contains(first, announced);
        Assert.NotEqual(first, second);
        Assert.Contains(second, announced);
        Assert.Contains(first, afterRotation);
    }

    [Fact]
    public async Task SigningKey_TokenSignedBeforeRotation_StillValidOnceTheNewKeySigns()
    {
        var time = new TestTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var factory = new IdentityApiFactory { Time = time };
        using var http = factory.CreateClient();
        var client = await factory.Clients.CreateAsync("11100000000013338W", "Resource server", [IdentityConstants.UseScope],
            new ClientRegistrationOptions { IsResourceServer = true }); // introspects its own token below
        await KidOfNewTokenAsync(http, client);
        time.Advance(TimeSpan.FromDays(29)); // lifetime 30 d, announce 2 d: the successor is published, signing from day 31
        await KidOfNewTokenAsync(http, client);
        time.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(2));
        using var issued = await IdentityApiFactory.RequestClientCredentialsAsync(http, client);
        var oldToken = (await IdentityApiFactory.JsonAsync(issued)).GetProperty("access_token").GetString()!;

        time.Advance(TimeSpan.FromMinutes(3)); // the successor signs now; the old token has 7 of its 10 minutes left
        var newKid = await KidOfNewTokenAsync(http, client);
        using var introspection = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = oldToken }),
        };
        introspection.Headers.Authorization = IdentityApiFactory.Basic(client.ClientId, client.ClientSecret);
        using var response = await http.SendAsync(introspection);

        Assert.NotEqual(new JsonWebToken(oldToken).Kid, newKid);
        var answer = await IdentityApiFactory.JsonAsync(response);
        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal(client.ClientId, answer.GetProperty("client_id").GetString());
    }

    private static async Task<string> KidOfNewTokenAsync(HttpClient http, ClientCredentials client)
    {
        using var response = await IdentityApiFactory.RequestClientCredentialsAsync(http, client);
        return new JsonWebToken((await IdentityApiFactory.JsonAsync(response)).GetProperty("access_token").GetString()).Kid;
    }

    private static async Task<List<string>> PublishedKidsAsync(HttpClient http)
    {
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/openid-configuration/jwks")).RootElement;
        return [.. jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!)];
    }
}

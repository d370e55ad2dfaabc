using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// PKCE is mandatory (RFC 9700 §2.1.1): a code stored without a challenge — the authorize endpoint never issues one, but
/// a row written by another version or by hand must not become a code that any verifier redeems.
/// </summary>
public sealed class CodeWithoutChallengeTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    [Fact]
    public async Task Token_VerifierForCodeStoredWithoutChallenge_InvalidGrant()
    {
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await StoreCodeAsync(flow, challenge: null);

        using var response = await flow.RedeemAsync(code);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (await IdentityApiFactory.JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_SameCodeRowWithTheVerifiersChallenge_Redeemed()
    {
        // The control of the test above: the row it stores is a code the token endpoint accepts once it has a challenge.
        using var flow = await OidcFlow.CreateAsync(factory);
        var code = await StoreCodeAsync(flow, OidcFlow.Challenge(flow.Verifier));

        using var response = await flow.RedeemAsync(code);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> StoreCodeAsync(OidcFlow flow, string? challenge)
    {
        var now = DateTimeOffset.UtcNow;
        var session = new SessionRow(SecretHasher.HandleHash(SecretHasher.NewSecret()), flow.Subject, now, IdentityConstants.AcrPassword, ["pwd"], [], now.AddHours(1), null);
        var code = SecretHasher.NewSecret();
        var row = new GrantRow(SecretHasher.HandleHash(code), "code", SecretHasher.NewSecret(16), flow.Client.ClientId, flow.Subject, session.SessionId,
            new GrantData("openid profile", OidcFlow.RedirectUri, "nonce-1", challenge, now, IdentityConstants.AcrPassword, ["pwd"]), now, now.AddSeconds(60), null);
        await factory.Services.GetRequiredService<GrantStore>().AddCodeAsync(row, session, default);
        return code;
    }
}

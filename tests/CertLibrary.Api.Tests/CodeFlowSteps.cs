using System.Security.Cryptography;
using System.Text;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using Microsoft.AspNetCore.WebUtilities;

namespace CertLibrary.Api.Tests;

/// <summary>The steps of a citizen's authorization-code + PKCE sign-in at the provider, as a browser and a portal take them.</summary>
internal static class CodeFlowSteps
{
    public const string RedirectUri = "https://portal.test/callback";
    public const string Password = "correct horse battery";
    private const string Verifier = "a-verifier-of-at-least-43-characters-0123456789abcdef";

    /// <summary><c>/connect/authorize</c> for <paramref name="clientId"/> (code, S256 challenge of the fixed verifier, state s1), with extra parameters.</summary>
    public static string AuthorizeUrl(string clientId, Dictionary<string, string?>? extra = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile",
            ["state"] = "s1",
            ["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier))),
            ["code_challenge_method"] = "S256",
        };
        foreach (var (key, value) in extra ?? [])
        {
            parameters[key] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters);
    }

    /// <summary>Posts the login form of <paramref name="html"/> (its antiforgery field and request) with the citizen's number and password.</summary>
    public static async Task<HttpResponseMessage> SubmitLoginAsync(HttpClient browser, string html, CitizenId citizenId, string password = Password) =>
        await browser.PostAsync("/connect/authorize/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CertLibrary.Identity.Tests.OidcFlow.Field(html, "__RequestVerificationToken"),
            ["request"] = CertLibrary.Identity.Tests.OidcFlow.Field(html, "request"),
            ["idNumber"] = citizenId.ToString(),
            ["password"] = password,
        }));

    /// <summary>The portal redeems <paramref name="code"/> at <c>/connect/token</c> with the verifier and basic client authentication.</summary>
    public static async Task<HttpResponseMessage> RedeemAsync(HttpClient http, ClientCredentials client, string code)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = RedirectUri,
                ["code_verifier"] = Verifier,
            }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(client.ClientId)}:{Uri.EscapeDataString(client.ClientSecret)}")));
        return await http.SendAsync(request);
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CertLibrary.Identifiers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace CertLibrary.Identity.Tests;

/// <summary>Drives the browser side of the authorization code flow against the in-memory server.</summary>
public sealed partial class OidcFlow : IDisposable
{
    public const string RedirectUri = "https://portal.test/callback";
    public const string PostLogoutUri = "https://portal.test/signed-out";
    public const string Password = "correct horse battery";

    private OidcFlow(IdentityApiFactory factory, ClientCredentials client, CitizenId citizenId, string subject)
    {
        Factory = factory;
        Client = client;
        CitizenId = citizenId;
        Subject = subject;
        Browser = NewBrowser(factory);
    }

    public IdentityApiFactory Factory { get; }

    public ClientCredentials Client { get; }

    public CitizenId CitizenId { get; }

    public string Subject { get; }

    public HttpClient Browser { get; private set; }

    public string Verifier { get; private set; } = NewVerifier();

    public static HttpClient NewBrowser(IdentityApiFactory factory) =>
        factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("https://localhost") });

    /// <summary>
    /// A portal client and a citizen. A confidential portal is also registered as a resource server unless
    /// <paramref name="resourceServer"/> is false, so that <see cref="IsActiveAsync"/> may introspect its tokens.
    /// </summary>
    public static async Task<OidcFlow> CreateAsync(
        IdentityApiFactory factory, string scopes = "openid profile offline_access certlib.citizen_id", string? backChannelLogoutUri = null, bool publicClient = false,
        bool resourceServer = true)
    {
        var client = await factory.Clients.CreateAsync(null, "Portal", scopes.Split(' '), new ClientRegistrationOptions
        {
            RedirectUris = [RedirectUri], PostLogoutRedirectUris = [PostLogoutUri], BackChannelLogoutUri = backChannelLogoutUri, IsPublic = publicClient,
            IsResourceServer = resourceServer && !publicClient,
        });
        var id = CitizenId.Create("110105", new DateOnly(1970, 1, 1).AddDays(RandomNumberGenerator.GetInt32(15000)), RandomNumberGenerator.GetInt32(1000));
        var registered = await factory.Citizens.RegisterAsync(id, "张三", Password);
        return new OidcFlow(factory, client, id, registered.Citizen!.Subject);
    }

    public static string NewVerifier() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Challenge(string verifier) => WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public string AuthorizeUrl(Dictionary<string, string?>? overrides = null)
    {
        var parameters = new Dictionary<string, string?>
        {
            ["client_id"] = Client.ClientId,
            ["redirect_uri"] = RedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid profile offline_access certlib.citizen_id",
            ["state"] = "state-123",
            ["nonce"] = "nonce-456",
            ["code_challenge"] = Challenge(Verifier),
            ["code_challenge_method"] = "S256",
        };
        foreach (var (key, value) in overrides ?? [])
        {
            parameters[key] = value;
        }

        return QueryHelpers.AddQueryString("/connect/authorize", parameters.Where(p => p.Value is not null).ToDictionary());
    }

    /// <summary>GET authorize, fill the login form; returns the final response (a redirect on success).</summary>
    public async Task<HttpResponseMessage> LoginAsync(string? url = null, string? password = null, string? idNumber = null)
    {
        using var page = await Browser.GetAsync(url ?? AuthorizeUrl());
        var html = await page.Content.ReadAsStringAsync();
        return await SubmitLoginAsync(html, password, idNumber);
    }

    public async Task<HttpResponseMessage> SubmitLoginAsync(string html, string? password = null, string? idNumber = null, bool withAntiforgery = true)
    {
        var fields = new Dictionary<string, string>
        {
            ["request"] = Field(html, "request"),
            ["idNumber"] = idNumber ?? CitizenId.ToString(),
            ["password"] = password ?? Password,
        };
        if (withAntiforgery)
        {
            fields["__RequestVerificationToken"] = Field(html, "__RequestVerificationToken");
        }

        return await Browser.PostAsync("/connect/authorize/login", new FormUrlEncodedContent(fields));
    }

    /// <summary>Answers the consent screen of <paramref name="html"/>: <paramref name="decision"/> is <c>allow</c> or <c>deny</c>.</summary>
    public async Task<HttpResponseMessage> AnswerConsentAsync(string html, string decision) =>
        await Browser.PostAsync("/connect/authorize/consent", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Field(html, "__RequestVerificationToken"),
            ["request"] = Field(html, "request"),
            ["ticket"] = Field(html, "ticket"),
            ["decision"] = decision,
        }));

    public static string Field(string html, string name)
    {
        var match = Regex.Match(html, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"field {name} not found in: {html}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static Dictionary<string, string> Query(HttpResponseMessage redirect)
    {
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!.ToString();
        Assert.StartsWith(RedirectUri, location, StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(new Uri(location).Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    public async Task<string> GetCodeAsync()
    {
        using var response = await LoginAsync();
        return Query(response)["code"];
    }

    public async Task<HttpResponseMessage> RedeemAsync(string code, string? verifier = null, string redirectUri = RedirectUri, ClientCredentials? client = null)
    {
        using var http = Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["code_verifier"] = verifier ?? Verifier,
            }),
        };
        var c = client ?? Client;
        request.Headers.Authorization = IdentityApiFactory.Basic(c.ClientId, c.ClientSecret);
        return await http.SendAsync(request);
    }

    public async Task<JsonElement> TokensAsync()
    {
        using var response = await RedeemAsync(await GetCodeAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await IdentityApiFactory.JsonAsync(response);
    }

    public async Task<HttpResponseMessage> BackChannelAsync(string path, Dictionary<string, string> form, ClientCredentials? client = null)
    {
        using var http = Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        var c = client ?? Client;
        request.Headers.Authorization = IdentityApiFactory.Basic(c.ClientId, c.ClientSecret);
        return await http.SendAsync(request);
    }

    /// <summary>A refresh-token grant of this flow's client (or <paramref name="client"/>).</summary>
    public Task<HttpResponseMessage> RefreshAsync(string refreshToken, ClientCredentials? client = null) =>
        BackChannelAsync("/connect/token", new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken }, client);

    public async Task<bool> IsActiveAsync(string token)
    {
        using var response = await BackChannelAsync("/connect/introspect", new() { ["token"] = token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await IdentityApiFactory.JsonAsync(response)).GetProperty("active").GetBoolean();
    }

    public void NewBrowserSession()
    {
        Browser.Dispose();
        Browser = NewBrowser(Factory);
    }

    public void Dispose() => Browser.Dispose();
}

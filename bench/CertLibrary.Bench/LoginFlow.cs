using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace CertLibrary.Bench;

/// <summary>
/// A citizen's password login as a browser and a portal perform it: <c>GET /connect/authorize</c> (code + PKCE S256)
/// answers the login form with its antiforgery field and cookie; the form POST with identity number and password
/// answers a redirect carrying the code; the portal redeems the code at <c>/connect/token</c>. Each login starts
/// without any cookie, so every one checks the password.
/// </summary>
internal static partial class LoginFlow
{
    public static async Task<LoadResult> RunAsync(Uri api, PostgresDataset set, BenchOptions options)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            AllowAutoRedirect = false,
            UseCookies = false,
        })
        {
            BaseAddress = api,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(set.Portal.ClientId)}:{Uri.EscapeDataString(set.Portal.Secret)}")));
        return await LoadGenerator.RunAsync(ct => LoginOnceAsync(http, set, basic, ct), options.Concurrency, options.LoginWarmUp, options.LoginDuration);
    }

    private static async Task<(int Units, string? Failure)> LoginOnceAsync(HttpClient http, PostgresDataset set, AuthenticationHeaderValue basic, CancellationToken cancellationToken)
    {
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12));
        var authorize = QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = set.Portal.ClientId,
            ["redirect_uri"] = PostgresDataset.PortalRedirectUri,
            ["response_type"] = "code",
            ["scope"] = "openid",
            ["state"] = state,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        });

        using var page = await http.GetAsync(authorize, cancellationToken);
        var html = await page.Content.ReadAsStringAsync(cancellationToken);
        if (page.StatusCode != HttpStatusCode.OK)
        {
            return (0, $"authorize answered {(int)page.StatusCode}");
        }

        var form = HiddenField().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        form["idNumber"] = set.Citizen.IdNumber;
        form["password"] = set.Citizen.Password;
        using var login = new HttpRequestMessage(HttpMethod.Post, "/connect/authorize/login") { Content = new FormUrlEncodedContent(form) };
        login.Headers.Add("Cookie", Cookies(page));
        using var redirect = await http.SendAsync(login, cancellationToken);
        await redirect.Content.ReadAsStringAsync(cancellationToken);
        var location = redirect.Headers.Location;
        var query = location is null ? null : QueryHelpers.ParseQuery(location.IsAbsoluteUri ? location.Query : new Uri(http.BaseAddress!, location).Query);
        if (redirect.StatusCode != HttpStatusCode.Redirect || query is null || !query.TryGetValue("code", out var code) || query["state"] != state)
        {
            return (0, $"login answered {(int)redirect.StatusCode} {location}");
        }

        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code.ToString(),
                ["redirect_uri"] = PostgresDataset.PortalRedirectUri,
                ["code_verifier"] = verifier,
            }),
        };
        exchange.Headers.Authorization = basic;
        using var tokens = await http.SendAsync(exchange, cancellationToken);
        var body = await tokens.Content.ReadAsStringAsync(cancellationToken);
        if (!tokens.IsSuccessStatusCode)
        {
            return (0, $"token answered {(int)tokens.StatusCode}: {HttpBench.Shorten(body)}");
        }

        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("id_token", out _) ? (1, null) : (0, "no id_token: " + HttpBench.Shorten(body));
    }

    private static string Cookies(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';', 2)[0]) : []);

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();
}

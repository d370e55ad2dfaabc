using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.PortalSample;

/// <summary>What the browser must bring back to the redirect URI: bound to it by an encrypted, short-lived cookie.</summary>
internal sealed record PendingSignIn(string State, string Nonce, string CodeVerifier, string RedirectUri, string ReturnUrl);

/// <summary>The validated result of a sign-in.</summary>
internal sealed record SignedInUser(string Subject, string Name, string? SessionId, string IdToken);

/// <summary>The outcome of checking a logout token: the session(s) to end, or why it was refused.</summary>
internal sealed record LogoutRequest(string? SessionId, string? Subject, string? Error);

/// <summary>
/// The relying-party side of OpenID Connect: discovery and JWKS (cached, refreshed on an unknown key), authorization
/// code with PKCE S256, state and nonce, the authorization response's <c>iss</c> (RFC 9207), ID token validation, and
/// logout token validation (Back-Channel Logout 1.0 §2.6).
/// </summary>
internal sealed class OidcRelyingParty
{
    public const string HttpClientName = "oidc";
    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxLogoutTokenAge = TimeSpan.FromMinutes(5);

    private readonly PortalOptions _options;
    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _configuration;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seenLogoutTokens = new(StringComparer.Ordinal);

    public OidcRelyingParty(IOptions<PortalOptions> options, IHttpClientFactory httpClients, TimeProvider time)
    {
        _options = options.Value;
        _httpClients = httpClients;
        _time = time;
        var authority = new Uri(Authority);
        var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName))
        {
            // Plain http only for a provider on this machine (development and the tests).
            RequireHttps = !(authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback),
        };
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            Authority + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), retriever);
    }

    public string Authority => _options.Authority.TrimEnd('/');

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancellationToken)
    {
        var configuration = await _configuration.GetConfigurationAsync(cancellationToken);
        if (configuration.Issuer != Authority)
        {
            // OpenID Connect Discovery §4.3: the document must be the one of the issuer we were configured with.
            throw new InvalidOperationException($"The provider's discovery document names issuer '{configuration.Issuer}', not '{Authority}'.");
        }

        return configuration;
    }

    public static PendingSignIn NewSignIn(string redirectUri, string returnUrl) =>
        new(Random(), Random(), Random(), redirectUri, returnUrl);

    public async Task<string> AuthorizationUrlAsync(PendingSignIn pending, CancellationToken cancellationToken)
    {
        var configuration = await GetConfigurationAsync(cancellationToken);
        return QueryHelpers.AddQueryString(configuration.AuthorizationEndpoint, new Dictionary<string, string?>
        {
            ["client_id"] = _options.ClientId,
            ["redirect_uri"] = pending.RedirectUri,
            ["response_type"] = "code",
            ["scope"] = _options.Scope,
            ["state"] = pending.State,
            ["nonce"] = pending.Nonce,
            ["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(pending.CodeVerifier))),
            ["code_challenge_method"] = "S256",
        });
    }

    /// <summary>Checks the authorization response, redeems the code and validates the ID token; throws <see cref="SignInException"/> with the reason.</summary>
    public async Task<SignedInUser> CompleteSignInAsync(PendingSignIn pending, IQueryCollection response, CancellationToken cancellationToken)
    {
        var configuration = await GetConfigurationAsync(cancellationToken);
        if (!FixedEquals(response["state"].ToString(), pending.State))
        {
            throw new SignInException("state 不匹配。");
        }

        // RFC 9207: the response names its issuer, so a response from another provider (mix-up attack) is refused.
        var iss = response["iss"].ToString();
        if ((iss.Length > 0 || configuration.AuthorizationResponseIssParameterSupported) && iss != configuration.Issuer)
        {
            throw new SignInException("授权响应的 iss 与认证服务不一致。");
        }

        if (response["error"].ToString() is { Length: > 0 } error)
        {
            throw new SignInException($"认证服务拒绝了登录请求（{error}）。");
        }

        var code = response["code"].ToString();
        if (code.Length == 0)
        {
            throw new SignInException("授权响应缺少 code。");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = pending.RedirectUri,
                ["code_verifier"] = pending.CodeVerifier,
            }),
        };
        // RFC 6749 §2.3.1: id and secret are form-url-encoded before Basic encoding.
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(_options.ClientId) + ":" + Uri.EscapeDataString(_options.ClientSecret))));
        using var http = _httpClients.CreateClient(HttpClientName);
        using var answer = await http.SendAsync(request, cancellationToken);
        if (!answer.IsSuccessStatusCode)
        {
            throw new SignInException($"令牌端点拒绝了授权码（HTTP {(int)answer.StatusCode}）。");
        }

        using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellationToken));
        if (!json.RootElement.TryGetProperty("id_token", out var idTokenElement) || idTokenElement.GetString() is not { } idToken)
        {
            throw new SignInException("令牌响应缺少 ID 令牌。");
        }

        var result = await ValidateAsync(idToken, "JWT", cancellationToken);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            throw new SignInException("ID 令牌无效。");
        }

        if (!jwt.TryGetPayloadValue<string>("nonce", out var nonce) || !FixedEquals(nonce, pending.Nonce))
        {
            throw new SignInException("ID 令牌的 nonce 不匹配。");
        }

        // OIDC Core §3.1.3.7: with several audiences azp must be present; when present it must be this client.
        var hasAzp = jwt.TryGetPayloadValue<string>("azp", out var azp);
        if ((hasAzp && azp != _options.ClientId) || (!hasAzp && jwt.Audiences.Count() > 1) || jwt.IssuedAt == DateTime.MinValue)
        {
            throw new SignInException("ID 令牌的 azp 或 iat 无效。");
        }

        jwt.TryGetPayloadValue<string>("name", out var name);
        jwt.TryGetPayloadValue<string>("sid", out var sid);
        return new SignedInUser(jwt.Subject, name ?? jwt.Subject, sid, idToken);
    }

    /// <summary>Validates a logout token completely; a token is accepted once (its <c>jti</c> is remembered until it expires).</summary>
    public async Task<LogoutRequest> ValidateLogoutTokenAsync(string logoutToken, CancellationToken cancellationToken)
    {
        var result = await ValidateAsync(logoutToken, "logout+jwt", cancellationToken);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return new LogoutRequest(null, null, "The logout token's signature, issuer, audience, type or lifetime is invalid.");
        }

        var now = _time.GetUtcNow();
        var issuedAt = new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero);
        if (jwt.IssuedAt == DateTime.MinValue || issuedAt > now + ClockSkew || issuedAt < now - MaxLogoutTokenAge)
        {
            return new LogoutRequest(null, null, "The logout token's iat is missing or out of range.");
        }

        if (!jwt.TryGetPayloadValue<JsonElement>("events", out var events) || events.ValueKind != JsonValueKind.Object
            || !events.TryGetProperty("http://schemas.openid.net/event/backchannel-logout", out var logoutEvent) || logoutEvent.ValueKind != JsonValueKind.Object)
        {
            return new LogoutRequest(null, null, "The logout token has no back-channel logout event.");
        }

        if (jwt.TryGetClaim("nonce", out _))
        {
            return new LogoutRequest(null, null, "A logout token must not contain a nonce.");
        }

        jwt.TryGetPayloadValue<string>("sid", out var sid);
        var subject = string.IsNullOrEmpty(jwt.Subject) ? null : jwt.Subject;
        if (string.IsNullOrEmpty(sid) && subject is null)
        {
            return new LogoutRequest(null, null, "The logout token names neither sid nor sub.");
        }

        if (string.IsNullOrEmpty(jwt.Id))
        {
            return new LogoutRequest(null, null, "The logout token has no jti.");
        }

        foreach (var (jti, expires) in _seenLogoutTokens)
        {
            if (expires < now - ClockSkew)
            {
                _seenLogoutTokens.TryRemove(jti, out _);
            }
        }

        if (!_seenLogoutTokens.TryAdd(jwt.Id, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)))
        {
            return new LogoutRequest(null, null, "The logout token was already used.");
        }

        return new LogoutRequest(string.IsNullOrEmpty(sid) ? null : sid, subject, null);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, string type, CancellationToken cancellationToken)
    {
        var result = await Handler.ValidateTokenAsync(token, await ParametersAsync(type, cancellationToken));
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider rotated its key: read JWKS again (rate limited by the configuration manager) and retry once.
            _configuration.RequestRefresh();
            result = await Handler.ValidateTokenAsync(token, await ParametersAsync(type, cancellationToken));
        }

        return result;
    }

    private async Task<TokenValidationParameters> ParametersAsync(string type, CancellationToken cancellationToken)
    {
        var configuration = await GetConfigurationAsync(cancellationToken);
        return new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = _options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidTypes = [type],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is not null && expires > now - ClockSkew && (notBefore is null || notBefore <= now + ClockSkew);
            },
        };
    }

    private static string Random() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    private static bool FixedEquals(string? a, string b) =>
        a is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

/// <summary>A sign-in that failed, with a reason fit to show to the citizen.</summary>
internal sealed class SignInException(string message) : Exception(message);

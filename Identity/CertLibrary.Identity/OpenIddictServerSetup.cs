using Microsoft.AspNetCore;
using System.Security.Cryptography;
using CertLibrary.Data;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace CertLibrary.Identity;

/// <summary>
/// The OpenID Connect protocol from OpenIddict (SPEC §9): endpoints, PKCE, codes, refresh rotation with reuse detection,
/// introspection, revocation, discovery and JWKS. What stays the project's own is plugged in as event handlers: the signing
/// keys of <see cref="SigningKeyManager"/> (rotated, shared by every node), the resource-server rule of introspection, the
/// SSO session's revocation, and the sign-in forms that post back to the authorization endpoint.
/// </summary>
internal static class OpenIddictServerSetup
{
    /// <summary>Paths of the sign-in forms: each is an authorization endpoint whose request is the one the form carries.</summary>
    public static readonly string[] FormPaths = [AuthorizeEndpoint.LoginPath, AuthorizeEndpoint.SecondFactorPath, AuthorizeEndpoint.ConsentPath];

    public static void AddServer(IServiceCollection services)
    {
        services.AddDbContext<IdentityDbContext>((sp, o) => IdentityDbContext.Configure(o, sp.GetRequiredService<ICertLibraryDatabase>()));
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<IdentityDbContext>();
                core.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication, ClientApplicationManager>();

                // Every node reads the database: a token revoked or a client deleted on one node holds on all of them.
                core.DisableEntityCaching();
            })
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(["connect/authorize", .. FormPaths.Select(p => p.TrimStart('/'))])
                    .SetPushedAuthorizationEndpointUris("connect/par")
                    .SetTokenEndpointUris("connect/token")
                    .SetIntrospectionEndpointUris("connect/introspect")
                    .SetRevocationEndpointUris("connect/revocation")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetEndSessionEndpointUris(TokenManagementEndpoints.EndSessionPath.TrimStart('/'))
                    .SetConfigurationEndpointUris(".well-known/openid-configuration")
                    .SetJsonWebKeySetEndpointUris(".well-known/openid-configuration/jwks");
                server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
                server.RequireProofKeyForCodeExchange();
                server.RegisterScopes([.. IdentityConstants.AllScopes]);
                server.RegisterClaims([Claims.Subject, Claims.Name, Claims.AuthenticationTime, "acr", "amr", "sid", IdentityConstants.CitizenIdClaim, IdentityConstants.DepartmentClaim]);
                server.RegisterPromptValues(PromptValues.None, PromptValues.Login, PromptValues.Consent);
                server.DisableAccessTokenEncryption();

                // Scopes are the client's own (identity_clients), checked by the endpoints with RFC 6749's invalid_scope.
                server.IgnoreScopePermissions();

                // Replaced per token by the rotated keys of SigningKeyManager (handlers below); OpenIddict wants one at start.
                server.AddEphemeralSigningKey(SecurityAlgorithms.EcdsaSha256);
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .DisableTransportSecurityRequirement(); // behind a TLS-terminating proxy, and http on loopback in development

                server.AddEventHandler<ExtractAuthorizationRequestContext>(b => b.UseInlineHandler(ReadFormRequestAsync)
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.ExtractGetOrPostRequest<ExtractAuthorizationRequestContext>.Descriptor.Order + 500));
                AddSingleParameterRule<ValidateAuthorizationRequestContext>(server);
                AddSingleParameterRule<ValidatePushedAuthorizationRequestContext>(server);
                AddSingleParameterRule<ValidateTokenRequestContext>(server);
                AddSingleParameterRule<ValidateIntrospectionRequestContext>(server);
                AddSingleParameterRule<ValidateRevocationRequestContext>(server);
                AddSingleParameterRule<ValidateEndSessionRequestContext>(server);
                server.AddEventHandler<GenerateTokenContext>(b => b.UseScopedHandler<SigningKeyHandlers>()
                    .SetOrder(OpenIddictServerHandlers.Protection.AttachSecurityCredentials.Descriptor.Order + 500));
                server.AddEventHandler<ValidateTokenContext>(b => b.UseScopedHandler<SigningKeyHandlers>()
                    .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500));
                server.AddEventHandler<ValidateTokenContext>(b => b.UseScopedHandler<SessionRevocationHandler>()
                    .SetOrder(int.MaxValue - 100_000));
                var beforeTokens = new[]
                {
                    OpenIddictServerHandlers.GenerateAccessToken.Descriptor, OpenIddictServerHandlers.GenerateAuthorizationCode.Descriptor,
                    OpenIddictServerHandlers.GenerateDeviceCode.Descriptor, OpenIddictServerHandlers.GenerateIssuedToken.Descriptor,
                    OpenIddictServerHandlers.GenerateRequestToken.Descriptor, OpenIddictServerHandlers.GenerateRefreshToken.Descriptor,
                    OpenIddictServerHandlers.GenerateUserCode.Descriptor, OpenIddictServerHandlers.GenerateIdentityToken.Descriptor,
                }.Min(d => d.Order) - 1;
                server.AddEventHandler<ProcessSignInContext>(b => b.UseSingletonHandler<IssuerHandlers>().SetOrder(beforeTokens));
                // Just before the response is written: after OpenIddict has attached its own issuer.
                server.AddEventHandler<ApplyConfigurationResponseContext>(b => b.UseSingletonHandler<IssuerHandlers>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.ProcessJsonResponse<ApplyConfigurationResponseContext>.Descriptor.Order - 1));
                server.AddEventHandler<ApplyAuthorizationResponseContext>(b => b.UseSingletonHandler<IssuerHandlers>().SetOrder(new[]
                {
                    OpenIddictServerAspNetCoreHandlers.Authentication.ProcessFormPostResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.Authentication.ProcessQueryResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.Authentication.ProcessFragmentResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.ProcessLocalErrorResponse<ApplyAuthorizationResponseContext>.Descriptor.Order,
                }.Min() - 1));
                server.AddEventHandler<ApplyIntrospectionResponseContext>(b => b.UseSingletonHandler<IssuerHandlers>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.ProcessJsonResponse<ApplyIntrospectionResponseContext>.Descriptor.Order - 1));
                server.AddEventHandler<HandleJsonWebKeySetRequestContext>(b => b.UseScopedHandler<SigningKeyHandlers>()
                    .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order + 500));
                server.AddEventHandler<HandleConfigurationRequestContext>(b => b.UseInlineHandler(AttachMetadata)
                    .SetOrder(int.MaxValue - 100_000));
                server.AddEventHandler<ApplyAuthorizationResponseContext>(b => b.UseSingletonHandler<ErrorPageHandlers>().SetOrder(new[]
                {
                    OpenIddictServerAspNetCoreHandlers.Authentication.ProcessFormPostResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.Authentication.ProcessQueryResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.ProcessLocalErrorResponse<ApplyAuthorizationResponseContext>.Descriptor.Order,
                }.Min() - 10));
                server.AddEventHandler<ApplyEndSessionResponseContext>(b => b.UseSingletonHandler<ErrorPageHandlers>().SetOrder(new[]
                {
                    OpenIddictServerAspNetCoreHandlers.Session.ProcessQueryResponse.Descriptor.Order,
                    OpenIddictServerAspNetCoreHandlers.ProcessLocalErrorResponse<ApplyEndSessionResponseContext>.Descriptor.Order,
                }.Min() - 10));
                server.RemoveEventHandler(OpenIddictServerHandlers.Introspection.ValidateAuthorizedParty.Descriptor);
                server.AddEventHandler<ValidateIntrospectionRequestContext>(b => b.UseScopedHandler<IntrospectionHandlers>()
                    .SetOrder(OpenIddictServerHandlers.Introspection.ValidateAuthentication.Descriptor.Order + 500));
                server.AddEventHandler<ApplyIntrospectionResponseContext>(b => b.UseInlineHandler(static context =>
                {
                    // The client authenticated but may not introspect: 403 (RFC 7662 §2.3 leaves it to the server), as before OpenIddict.
                    if (context.Response.Error == Errors.UnauthorizedClient && context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response)
                    {
                        response.StatusCode = StatusCodes.Status403Forbidden;
                    }

                    return default;
                }).SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<ApplyIntrospectionResponseContext>.Descriptor.Order + 1));
                server.AddEventHandler<HandleIntrospectionRequestContext>(b => b.UseScopedHandler<IntrospectionHandlers>()
                    .SetOrder(int.MaxValue - 100_000));
                server.AddEventHandler<ValidateTokenRequestContext>(b => b.UseInlineHandler(RefuseWiderRefreshScope)
                    .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantedScopes.Descriptor.Order - 1));
                server.AddEventHandler<ApplyTokenResponseContext>(b => b.UseSingletonHandler<AuditHandlers>().SetOrder(int.MinValue + 50_000));
                server.AddEventHandler<ApplyTokenResponseContext>(b => b.UseInlineHandler(AttachGrantedScope).SetOrder(int.MinValue + 60_000));
                server.AddEventHandler<HandleRevocationRequestContext>(b => b.UseScopedHandler<RevocationHandler>()
                    .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order + 500));
            });

        services.AddOptions<OpenIddictServerOptions>().Configure<IOptions<IdentityOptions>, IOptions<CertLibraryDataOptions>, TimeProvider>((o, identity, data, time) =>
        {
            var settings = identity.Value;
            if (settings.Issuer is { Length: > 0 } issuer)
            {
                o.Issuer = new Uri(issuer.TrimEnd('/') + "/");
            }

            o.AccessTokenLifetime = settings.AccessTokenLifetime;
            o.IdentityTokenLifetime = settings.IdentityTokenLifetime;
            o.AuthorizationCodeLifetime = settings.AuthorizationCodeLifetime;
            o.RefreshTokenLifetime = settings.RefreshTokenLifetime;
            o.RefreshTokenReuseLeeway = settings.RefreshTokenReuseGrace;
            o.TimeProvider = time;
            o.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);

            // Codes and refresh tokens are encrypted with a key derived from the master key: every node reads every node's.
            if (o.EncryptionCredentials.Count == 0)
            {
                var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, data.Value.MasterKey, 32, info: "certlib identity token encryption v1"u8.ToArray());
                o.EncryptionCredentials.Add(new EncryptingCredentials(new SymmetricSecurityKey(key), SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
            }
        });
    }

    /// <summary>
    /// RFC 6749 §3.1: a parameter sent more than once makes the request invalid; so does a control character in a name or
    /// value (never legitimate, and refused before any lookup reaches the database).
    /// </summary>
    private static void AddSingleParameterRule<TContext>(OpenIddictServerBuilder server) where TContext : BaseValidatingContext =>
        server.AddEventHandler<TContext>(b => b.UseInlineHandler(context =>
        {
            foreach (var (name, value) in context.Transaction.Request?.GetParameters() ?? new Dictionary<string, OpenIddictParameter>())
            {
                var values = value.GetUnnamedParameters();
                if (values.Count > 1)
                {
                    context.Reject(Errors.InvalidRequest, $"The '{name}' parameter was sent more than once.");
                    return default;
                }

                if (name.Any(char.IsControl) || ((string?)value)?.Any(char.IsControl) == true)
                {
                    context.Reject(Errors.InvalidRequest, "A parameter contains control characters.");
                    return default;
                }
            }

            return default;
        }).SetOrder(int.MinValue + 50_000));

    /// <summary>
    /// A sign-in form (password, second factor, consent) carries the authorization request it answers as field
    /// <c>request</c> (the original query): that is the request OpenIddict validates again, exactly as at <c>/connect/authorize</c>.
    /// </summary>
    private static async ValueTask ReadFormRequestAsync(ExtractAuthorizationRequestContext context)
    {
        var http = context.Transaction.GetHttpRequest();
        if (http is null || !FormPaths.Contains(http.Path.Value, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        if (!HttpMethods.IsPost(http.Method) || !http.HasFormContentType)
        {
            context.Reject(Errors.InvalidRequest, "The sign-in form must be posted.");
            return;
        }

        var form = await http.ReadFormAsync(http.HttpContext.RequestAborted);
        context.Request = new OpenIddictRequest(QueryHelpers.ParseQuery(form["request"].ToString()).Select(p => new KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>(p.Key, p.Value)));
    }

    /// <summary>
    /// The token response always names the granted scope (RFC 6749 §5.1 lets OpenIddict leave it out when it equals the
    /// requested one, which is then the granted one; clients and the tests read it).
    /// </summary>
    private static ValueTask AttachGrantedScope(ApplyTokenResponseContext context)
    {
        if (context.Response.AccessToken is not null && context.Response.Scope is null && context.Request?.Scope is { Length: > 0 } requested)
        {
            context.Response.Scope = requested;
        }

        return default;
    }

    /// <summary>A refresh may narrow the granted scope, never widen it (RFC 6749 §6; §5.2 invalid_scope).</summary>
    private static ValueTask RefuseWiderRefreshScope(ValidateTokenRequestContext context)
    {
        if (context.Request.IsRefreshTokenGrantType() && context.RefreshTokenPrincipal is { } principal
            && context.Request.GetScopes().FirstOrDefault(s => !principal.HasScope(s)) is { } wider)
        {
            context.Reject(Errors.InvalidScope, $"The scope '{wider}' was not granted; a refresh cannot widen the granted scope.");
        }

        return default;
    }

    private static ValueTask AttachMetadata(HandleConfigurationRequestContext context)
    {
        context.Metadata["acr_values_supported"] = new OpenIddictParameter([IdentityConstants.AcrPassword, IdentityConstants.AcrMultiFactor]);
        context.Metadata["backchannel_logout_supported"] = true;
        context.Metadata["backchannel_logout_session_supported"] = true;
        context.Metadata["request_parameter_supported"] = false;
        context.Metadata["claims_parameter_supported"] = false;
        return default;
    }
}

/// <summary>
/// The issuer exactly as configured, or as derived from the request (<see cref="IssuerResolver"/>): no trailing slash
/// after a bare host, as relying parties, the API and the portals compare it byte for byte. OpenIddict writes issuers as
/// absolute URIs (with that slash), so these handlers put the project's form into tokens, discovery, the authorization
/// response (RFC 9207 <c>iss</c>) and introspection, and accept both forms when validating its own tokens.
/// </summary>
internal sealed class IssuerHandlers(IssuerResolver issuers) :
    IOpenIddictServerHandler<ProcessSignInContext>,
    IOpenIddictServerHandler<ApplyConfigurationResponseContext>,
    IOpenIddictServerHandler<ApplyAuthorizationResponseContext>,
    IOpenIddictServerHandler<ApplyIntrospectionResponseContext>
{
    public string Issuer(BaseContext context) =>
        issuers.GetIssuer(context.Transaction.GetHttpRequest()?.HttpContext ?? throw new InvalidOperationException("No HTTP request."));

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        var issuer = Issuer(context);
        foreach (var principal in new[]
        {
            context.AccessTokenPrincipal, context.AuthorizationCodePrincipal, context.DeviceCodePrincipal, context.IssuedTokenPrincipal,
            context.IdentityTokenPrincipal, context.RefreshTokenPrincipal, context.RequestTokenPrincipal, context.UserCodePrincipal,
        })
        {
            principal?.SetClaim(Claims.Private.Issuer, issuer);
        }

        return default;
    }

    public ValueTask HandleAsync(ApplyConfigurationResponseContext context)
    {
        // OpenIddict names the endpoints under the request's base URI; a configured issuer (behind a proxy) names them.
        var issuer = Issuer(context);
        var baseUri = context.BaseUri?.AbsoluteUri;
        foreach (var (name, value) in context.Response.GetParameters().ToList())
        {
            if (baseUri is not null && (string?)value is { } text && text.StartsWith(baseUri, StringComparison.Ordinal) && name != Metadata.Issuer)
            {
                context.Response[name] = issuer + "/" + text[baseUri.Length..];
            }
        }

        return SetIssuer(context, context.Response, Metadata.Issuer);
    }

    public ValueTask HandleAsync(ApplyAuthorizationResponseContext context) => SetIssuer(context, context.Response, Parameters.Iss);

    public ValueTask HandleAsync(ApplyIntrospectionResponseContext context) => SetIssuer(context, context.Response, Claims.Issuer);

    private ValueTask SetIssuer(BaseContext context, OpenIddictResponse response, string name)
    {
        if (response[name] is not null)
        {
            response[name] = Issuer(context);
        }

        return default;
    }
}

/// <summary>
/// Audit events of the token endpoint: failed client authentication, and a reused code or refresh token (OpenIddict has
/// then revoked the whole grant). Recognised by OpenIddict's stable error identifiers (ID2010, ID2012).
/// </summary>
internal sealed partial class AuditHandlers(Microsoft.Extensions.Logging.ILogger<AuditHandlers> logger) : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        var clientId = context.Request?.ClientId ?? string.Empty;
        var uri = context.Response.ErrorUri ?? string.Empty;
        if (context.Response.Error == Errors.InvalidClient)
        {
            LogClientAuthenticationFailed(logger);
        }
        else if (uri.EndsWith("ID2010", StringComparison.Ordinal))
        {
            LogCodeReuse(logger, clientId);
        }
        else if (uri.EndsWith("ID2012", StringComparison.Ordinal))
        {
            LogRefreshReuse(logger, clientId);
        }

        return default;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, EventId = 4001, Message = "Audit: client authentication failed at the token endpoint")]
    private static partial void LogClientAuthenticationFailed(Microsoft.Extensions.Logging.ILogger logger);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, EventId = 4030, Message = "Audit: authorization code reuse by client {ClientId}; grant revoked")]
    private static partial void LogCodeReuse(Microsoft.Extensions.Logging.ILogger logger, string clientId);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, EventId = 4031, Message = "Audit: refresh token reuse by client {ClientId}; grant revoked")]
    private static partial void LogRefreshReuse(Microsoft.Extensions.Logging.ILogger logger, string clientId);
}

/// <summary>
/// An authorization or logout request OpenIddict refuses without a registered URI to answer to (unknown client, redirect
/// URI not registered, invalid hint) gets the provider's error page, in the citizen's language: never a redirect.
/// </summary>
internal sealed class ErrorPageHandlers :
    IOpenIddictServerHandler<ApplyAuthorizationResponseContext>,
    IOpenIddictServerHandler<ApplyEndSessionResponseContext>
{
    public ValueTask HandleAsync(ApplyAuthorizationResponseContext context) =>
        context.Error is null || context.RedirectUri is not null ? default : WriteAsync(context, context.Response,
            context.Error == Errors.InvalidClient || context.Response.ErrorDescription?.Contains("client_id", StringComparison.Ordinal) == true
                ? "未知的应用（client_id）。" : "授权请求无效（如回调地址 redirect_uri 与登记的不一致）。", "Invalid authorization request");

    public ValueTask HandleAsync(ApplyEndSessionResponseContext context) =>
        // RP-Initiated Logout defines no error response to the client: a refused logout (forged hint, unregistered URI) is a page.
        context.Error is null ? default : WriteAsync(context, context.Response, "退出请求无效。", "Invalid logout request");

    private static async ValueTask WriteAsync(BaseRequestContext context, OpenIddictResponse response, string zh, string en)
    {
        var http = context.Transaction.GetHttpRequest()?.HttpContext ?? throw new InvalidOperationException("No HTTP request.");
        await Pages.Error(http, zh, $"{en}: {response.ErrorDescription ?? response.Error}").ExecuteAsync(http);
        context.HandleRequest();
    }
}

/// <summary>Signs every token with the active key of <see cref="SigningKeyManager"/> and validates with, and publishes, all its published keys.</summary>
internal sealed class SigningKeyHandlers(SigningKeyManager keys, IssuerHandlers issuers) :
    IOpenIddictServerHandler<GenerateTokenContext>,
    IOpenIddictServerHandler<ValidateTokenContext>,
    IOpenIddictServerHandler<HandleJsonWebKeySetRequestContext>
{
    public async ValueTask HandleAsync(GenerateTokenContext context) =>
        context.SigningCredentials = await keys.GetSigningCredentialsAsync(context.CancellationToken);

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        var parameters = context.TokenValidationParameters.Clone();
        parameters.IssuerSigningKeys = await keys.GetValidationKeysAsync(context.CancellationToken);
        parameters.IssuerSigningKey = null;
        var issuer = issuers.Issuer(context);
        parameters.ValidIssuers = [issuer, issuer + "/"];
        context.TokenValidationParameters = parameters;
    }

    public async ValueTask HandleAsync(HandleJsonWebKeySetRequestContext context)
    {
        context.Keys.Clear();
        foreach (var key in await keys.GetPublishedKeysAsync(context.CancellationToken))
        {
            context.Keys.Add(new JsonWebKey(key.PublicJwk));
        }
    }
}

/// <summary>
/// A code, refresh or access token issued in an SSO session that has ended (logout, administrator second-factor reset)
/// is no longer valid: its redemption, refresh, introspection and UserInfo fail like for any revoked token.
/// </summary>
internal sealed class SessionRevocationHandler(SessionStore sessions) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.IsRejected || context.Principal?.GetClaim("sid") is not { Length: > 0 } sid)
        {
            return;
        }

        if (await sessions.IsRevokedAsync([("session", sid)], context.CancellationToken))
        {
            context.Reject(Errors.InvalidToken, "The grant was revoked: its sign-in session has ended.");
        }
    }
}

/// <summary>
/// Introspection (RFC 7662) answers only clients registered as resource servers, for any client's token (the answer
/// tells who holds the token and what it may do); for an access token it includes its scope and department.
/// </summary>
internal sealed class IntrospectionHandlers(ClientManager clients) :
    IOpenIddictServerHandler<ValidateIntrospectionRequestContext>,
    IOpenIddictServerHandler<HandleIntrospectionRequestContext>
{
    public async ValueTask HandleAsync(ValidateIntrospectionRequestContext context)
    {
        var client = context.ClientId is null ? null : await clients.FindAsync(context.ClientId, context.CancellationToken);
        if (client is null or { IsPublic: true })
        {
            // A public client cannot authenticate, so it cannot be told anything about a token.
            context.Reject(Errors.InvalidClient, "Client authentication failed.");
        }
        else if (!client.IsResourceServer)
        {
            context.Reject(Errors.UnauthorizedClient, "Only clients registered as resource servers may introspect tokens.");
        }
    }

    public ValueTask HandleAsync(HandleIntrospectionRequestContext context)
    {
        if (context.GenericTokenPrincipal is not { } principal || !principal.HasTokenType(TokenTypeHints.AccessToken))
        {
            return default;
        }

        context.Scopes.UnionWith(principal.GetScopes());
        context.ClientId ??= principal.GetClaim(Claims.ClientId);
        if (principal.GetClaim(IdentityConstants.DepartmentClaim) is { } department)
        {
            context.Claims[IdentityConstants.DepartmentClaim] = department;
        }

        return default;
    }
}

/// <summary>Revoking a refresh token revokes its grant (the authorization), so the access tokens issued from it stop working too.</summary>
internal sealed class RevocationHandler(OpenIddict.Abstractions.IOpenIddictAuthorizationManager authorizations, OpenIddict.Abstractions.IOpenIddictTokenManager tokens,
    AccessTokenRevocation accessTokens) : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        if (context.IsRejected || context.GenericTokenPrincipal is not { } principal || !principal.HasTokenType(TokenTypeHints.RefreshToken)
            || principal.GetAuthorizationId() is not { } id || await authorizations.FindByIdAsync(id, context.CancellationToken) is not { } authorization)
        {
            if (context.GenericTokenPrincipal?.GetTokenId() is { } tokenId)
            {
                accessTokens.Revoked("token", tokenId);
            }

            return;
        }

        await authorizations.TryRevokeAsync(authorization, context.CancellationToken);
        await tokens.RevokeByAuthorizationIdAsync(id, context.CancellationToken);
        accessTokens.Revoked("grant", id);
    }
}

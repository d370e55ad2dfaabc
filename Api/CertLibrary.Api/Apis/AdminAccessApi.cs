using System.Security.Claims;
using CertLibrary.Api.Infrastructure;
using CertLibrary.CertStore.Model;
using CertLibrary.CertStore.Stores;
using CertLibrary.Identifiers;
using CertLibrary.Identity;
using CertLibrary.Signing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CertLibrary.Api.Apis;

/// <summary>Administration of who may act (scope <c>certlib.admin</c>): department clients, citizens, signing keys (SPEC §8).</summary>
public static class AdminAccessApi
{
    private static readonly string[] DepartmentScopes = [CallerExtensions.IssueScope, CallerExtensions.UseScope, CallerExtensions.VerifyScope, CallerExtensions.AdminScope];

    private static readonly string[] PortalScopes =
        [IdentityConstants.OpenIdScope, IdentityConstants.ProfileScope, IdentityConstants.OfflineAccessScope, IdentityConstants.CitizenIdScope];

    private const int MaxUris = 20;

    public static RouteGroupBuilder MapAdminAccessApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin").WithTags("Administration").RequireAuthorization(Policies.Admin);
        group.MapPost("/clients", CreateClientAsync).WithName("CreateClient")
            .WithSummary("Register a department client or a portal client")
            .WithDescription("Without redirectUris: a confidential client for client credentials (department scopes). With redirectUris: a "
                + "portal client for the authorization code flow with PKCE (scopes openid, profile, offline_access, certlib.citizen_id), "
                + "clientType confidential (default) or public (no secret), optional postLogoutRedirectUris and backChannelLogoutUri. "
                + "Every URI must be absolute https (http only for loopback hosts), without fragment or wildcard. "
                + "resourceServer true (confidential clients only) lets the client introspect tokens at /connect/introspect; no other client may. "
                + "The secret is returned once and stored only as a hash.");
        group.MapGet("/clients", ListClientsAsync).WithName("ListClients")
            .WithSummary("List clients").WithDescription("Every client with its department and scopes; never secrets.");
        group.MapGet("/clients/{clientId}", GetClientAsync).WithName("GetClient")
            .WithSummary("Read a client").WithDescription("One client with its department, scopes and URIs; never its secret.");
        group.MapPut("/clients/{clientId}", UpdateClientAsync).WithName("UpdateClient")
            .WithSummary("Update a client's name and portal URIs")
            .WithDescription("Replaces redirectUris (required for a portal client), postLogoutRedirectUris and backChannelLogoutUri (absent: none) "
                + "under the same rules as registration; name and resourceServer are kept when absent. Scopes, type and secret do not change.");
        group.MapPost("/clients/{clientId}/secret", RotateClientSecretAsync).WithName("RotateClientSecret")
            .WithSummary("Rotate a client's secret")
            .WithDescription("A new secret, returned this once and stored only as a hash; the old one stops working at once. Not for public clients.");
        group.MapDelete("/clients/{clientId}", DeleteClientAsync).WithName("DeleteClient")
            .WithSummary("Delete a client")
            .WithDescription("Removes the client and revokes every grant it holds: its refresh tokens stop working, and every access token "
                + "it was issued (client credentials included) is refused by introspection at once and by the API within "
                + "Identity:RevocationCheckInterval (at once on the node that deleted it). A client cannot delete itself.");
        group.MapPost("/citizens", RegisterCitizenAsync).WithName("RegisterCitizen")
            .WithSummary("Register a citizen at a counter")
            .WithDescription("Creates a citizen account (identity number + password). The answer holds the opaque subject, never the number.");
        group.MapGet("/citizens/{subject}", GetCitizenAsync).WithName("GetCitizen")
            .WithSummary("Read a citizen account").WithDescription("By opaque subject: name, second factor, creation time.");
        group.MapPost("/citizens/second-factor/reset", ResetSecondFactorAsync).WithName("ResetCitizenSecondFactor")
            .WithSummary("Reset a citizen's second factor")
            .WithDescription("Account recovery at a counter: switches TOTP off and deletes the recovery codes, so the citizen signs in with the "
                + "password and may enrol again; every open sign-in session of the citizen is ended (its tokens revoked, its portals notified). The citizen is named in the body ({\"idNumber\"} or {\"subject\"}), never in the URL; the audit "
                + "event holds the administrator's client id and the opaque subject only.");
        group.MapPost("/citizens/unlock", UnlockCitizenAsync).WithName("UnlockCitizen")
            .WithSummary("Unlock a citizen account")
            .WithDescription("Lifts a lockout after repeated failures and clears the failure count. Body {\"idNumber\"} or {\"subject\"}, audited without the number.");
        group.MapPost("/departments/{code}/keys/rotate", RotateKeysAsync).WithName("RotateDepartmentKeys")
            .WithSummary("Rotate a department's signing keys")
            .WithDescription("Adds a new SM2 and ES256 key; the old keys are retired but stay in the trust list so earlier certificates still verify.");
        group.MapGet("/departments/{code}/keys", ListKeysAsync).WithName("ListDepartmentKeys")
            .WithSummary("List a department's signing keys").WithDescription("Public keys (JWK) with their life cycle; private keys are never returned.");
        return group;
    }

    private static async Task<Results<Created<CreatedClient>, ProblemHttpResult>> CreateClientAsync(
        HttpRequest request, ClientManager clients, ICertificateStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<ClientRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        string? department = null;
        if (body!.DepartmentCode is not null)
        {
            if (!CreditCode.TryParse(body.DepartmentCode, out var code, out var error))
            {
                errors["departmentCode"] = [error];
            }
            else if (await store.FindDepartmentAsync(code.ToString(), cancellationToken) is null)
            {
                errors["departmentCode"] = [$"Department {code} is not registered."];
            }
            else
            {
                department = code.ToString();
            }
        }

        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200)
        {
            errors["name"] = ["A name of 1 to 200 characters is required."];
        }

        var scopes = body.Scopes ?? [];
        var isPublic = body.ClientType == PublicType;
        if (body.ClientType is not (null or ConfidentialType or PublicType))
        {
            errors["clientType"] = [$"Either \"{ConfidentialType}\" or \"{PublicType}\"."];
        }

        if (isPublic && body.ResourceServer == true)
        {
            errors["resourceServer"] = ["A public client cannot be a resource server: introspection needs client authentication."];
        }

        var portal = body.RedirectUris is not null || body.PostLogoutRedirectUris is not null || body.BackChannelLogoutUri is not null || isPublic;
        if (portal)
        {
            if (scopes.Count == 0 || scopes.Any(s => !PortalScopes.Contains(s)) || !scopes.Contains(IdentityConstants.OpenIdScope))
            {
                errors["scopes"] = [$"A portal client needs openid and may also have: {string.Join(", ", PortalScopes.Skip(1))}."];
            }

            CheckPortalUris(errors, body.RedirectUris, body.PostLogoutRedirectUris, body.BackChannelLogoutUri);
        }
        else if (scopes.Count == 0 || scopes.Any(s => !DepartmentScopes.Contains(s)))
        {
            errors["scopes"] = [$"One or more of: {string.Join(", ", DepartmentScopes)}."];
        }
        else if (department is null && !scopes.Contains(CallerExtensions.AdminScope))
        {
            errors["departmentCode"] = ["A department client needs its department."];
        }

        if (errors.Count > 0)
        {
            return Problems.From(CertStoreError.Invalid(errors));
        }

        var registration = portal
            ? new ClientRegistrationOptions
            {
                RedirectUris = [.. body.RedirectUris!.OfType<string>().Distinct(StringComparer.Ordinal)],
                PostLogoutRedirectUris = [.. (body.PostLogoutRedirectUris ?? []).OfType<string>().Distinct(StringComparer.Ordinal)],
                BackChannelLogoutUri = body.BackChannelLogoutUri,
                IsPublic = isPublic,
                IsResourceServer = body.ResourceServer == true,
            }
            : new ClientRegistrationOptions { IsResourceServer = body.ResourceServer == true };
        var credentials = await clients.CreateAsync(department, body.Name!.Trim(), [.. scopes!.OfType<string>().Distinct()], registration, cancellationToken);
        return TypedResults.Created($"/api/v1/admin/clients/{credentials.ClientId}", new CreatedClient(
            credentials.ClientId, isPublic ? null : credentials.ClientSecret, isPublic ? PublicType : ConfidentialType));
    }

    /// <summary>The URI rules of a portal client, the same at registration and update.</summary>
    private static void CheckPortalUris(Dictionary<string, string[]> errors, IReadOnlyList<string?>? redirectUris, IReadOnlyList<string?>? postLogoutRedirectUris,
        string? backChannelLogoutUri)
    {
        if (redirectUris is not { Count: > 0 and <= MaxUris })
        {
            errors["redirectUris"] = [$"A portal client needs 1 to {MaxUris} redirect URIs."];
        }

        if (postLogoutRedirectUris is { Count: > MaxUris })
        {
            errors["postLogoutRedirectUris"] = [$"At most {MaxUris} post-logout redirect URIs."];
        }

        CheckUris(errors, "redirectUris", redirectUris);
        CheckUris(errors, "postLogoutRedirectUris", postLogoutRedirectUris);
        if (backChannelLogoutUri is not null && ClientManager.CheckUri(backChannelLogoutUri) is { } backChannelError)
        {
            errors["backChannelLogoutUri"] = [backChannelError];
        }
    }

    private static void CheckUris(Dictionary<string, string[]> errors, string field, IReadOnlyList<string?>? uris)
    {
        for (var i = 0; i < Math.Min(uris?.Count ?? 0, MaxUris); i++)
        {
            if (ClientManager.CheckUri(uris![i]) is { } error)
            {
                errors[$"{field}[{i}]"] = [error];
            }
        }
    }

    private const string ConfidentialType = "confidential";

    private const string PublicType = "public";

    private static async Task<Ok<IEnumerable<ClientSummary>>> ListClientsAsync(ClientManager clients, CancellationToken cancellationToken) =>
        TypedResults.Ok((await clients.ListAsync(cancellationToken)).Select(ToSummary));

    private static ClientSummary ToSummary(IdentityClient c) => new(c.ClientId, c.Name, c.DepartmentCode, c.Scopes, c.CreatedAt,
        c.IsPublic ? PublicType : ConfidentialType, c.RedirectUris, c.PostLogoutRedirectUris, c.BackChannelLogoutUri, c.IsResourceServer);

    private static ProblemHttpResult ClientNotFound() => Problems.From(CertStoreError.NotFound("Client"));

    private static async Task<Results<Ok<ClientSummary>, ProblemHttpResult>> GetClientAsync(string clientId, ClientManager clients, CancellationToken cancellationToken) =>
        await clients.FindAsync(clientId, cancellationToken) is { } client ? TypedResults.Ok(ToSummary(client)) : ClientNotFound();

    private static async Task<Results<Ok<ClientSummary>, ProblemHttpResult>> UpdateClientAsync(
        string clientId, HttpRequest request, ClientManager clients, CancellationToken cancellationToken)
    {
        if (await clients.FindAsync(clientId, cancellationToken) is not { } existing)
        {
            return ClientNotFound();
        }

        var (body, problem) = await JsonBody.ReadAsync<ClientUpdateRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (body!.Name is not null && (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200))
        {
            errors["name"] = ["A name of 1 to 200 characters is required."];
        }

        var portal = existing.IsPublic || existing.RedirectUris.Count > 0;
        if (!portal && (body.RedirectUris is not null || body.PostLogoutRedirectUris is not null || body.BackChannelLogoutUri is not null))
        {
            errors["redirectUris"] = ["This is a department (client credentials) client: it has no redirect, post-logout or back-channel URIs."];
        }
        else if (portal)
        {
            CheckPortalUris(errors, body.RedirectUris, body.PostLogoutRedirectUris, body.BackChannelLogoutUri);
        }

        if (existing.IsPublic && body.ResourceServer == true)
        {
            errors["resourceServer"] = ["A public client cannot be a resource server: introspection needs client authentication."];
        }

        if (errors.Count > 0)
        {
            return Problems.From(CertStoreError.Invalid(errors));
        }

        if (body.ResourceServer is { } resourceServer && resourceServer != existing.IsResourceServer)
        {
            await clients.SetResourceServerAsync(clientId, resourceServer, cancellationToken);
        }

        var updated = await clients.UpdateAsync(clientId, body.Name?.Trim() ?? existing.Name, new ClientRegistrationOptions
        {
            RedirectUris = [.. (body.RedirectUris ?? []).OfType<string>().Distinct(StringComparer.Ordinal)],
            PostLogoutRedirectUris = [.. (body.PostLogoutRedirectUris ?? []).OfType<string>().Distinct(StringComparer.Ordinal)],
            BackChannelLogoutUri = body.BackChannelLogoutUri,
        }, cancellationToken);
        return updated is null ? ClientNotFound() : TypedResults.Ok(ToSummary(updated));
    }

    private static async Task<Results<Ok<CreatedClient>, ProblemHttpResult>> RotateClientSecretAsync(
        string clientId, ClientManager clients, CancellationToken cancellationToken)
    {
        if (await clients.FindAsync(clientId, cancellationToken) is not { } existing)
        {
            return ClientNotFound();
        }

        if (existing.IsPublic)
        {
            return Problems.Create(StatusCodes.Status409Conflict, "public-client", "Public clients have no secret.",
                "A public client authenticates with PKCE only; there is no secret to rotate.");
        }

        return await clients.RotateSecretAsync(clientId, cancellationToken) is { } credentials
            ? TypedResults.Ok(new CreatedClient(credentials.ClientId, credentials.ClientSecret, ConfidentialType))
            : ClientNotFound();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteClientAsync(
        string clientId, ClaimsPrincipal user, ClientManager clients, CancellationToken cancellationToken)
    {
        if (string.Equals(user.ToCaller().ClientId, clientId, StringComparison.Ordinal))
        {
            return Problems.Create(StatusCodes.Status409Conflict, "own-client", "A client cannot delete itself.",
                "Delete this client with another administrator client.");
        }

        return await clients.DeleteAsync(clientId, cancellationToken) ? TypedResults.NoContent() : ClientNotFound();
    }

    private static async Task<Results<Created<Citizen>, ProblemHttpResult>> RegisterCitizenAsync(
        HttpRequest request, CitizenManager citizens, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<CitizenRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (!CitizenId.TryParse(body!.IdNumber, time, out var citizenId, out var idError))
        {
            return Problems.Validation("idNumber", idError);
        }

        var result = await citizens.RegisterAsync(citizenId, body.Name ?? "", body.Password ?? "", cancellationToken);
        return result.Status switch
        {
            CitizenRegistrationStatus.Created => TypedResults.Created($"/api/v1/admin/citizens/{result.Citizen!.Subject}", result.Citizen),
            CitizenRegistrationStatus.AlreadyRegistered => Problems.Create(StatusCodes.Status409Conflict, "exists", "Already exists.", "This person is already registered."),
            CitizenRegistrationStatus.InvalidName => Problems.Validation("name", "A name of 1 to 100 characters is required."),
            _ => Problems.Validation("password", "The password does not meet the policy (at least 8 characters)."),
        };
    }

    private static async Task<Results<Ok<Citizen>, ProblemHttpResult>> GetCitizenAsync(string subject, CitizenManager citizens, CancellationToken cancellationToken) =>
        await citizens.FindBySubjectAsync(subject, cancellationToken) is { } citizen
            ? TypedResults.Ok(citizen)
            : Problems.From(CertStoreError.NotFound("Citizen"));

    /// <summary>The second factor switched off, then every open session of the citizen ended (a session signed in with the lost authenticator must not outlive it).</summary>
    private static Task<Results<Ok<CitizenAccountStatus>, ProblemHttpResult>> ResetSecondFactorAsync(
        HttpRequest request, ClaimsPrincipal user, CitizenManager citizens, CitizenSessions sessions, TimeProvider time, CancellationToken cancellationToken) =>
        RecoverAccountAsync(request, user, citizens, time, async (subject, administrator, token) =>
        {
            var status = await citizens.ResetSecondFactorAsync(subject, administrator, token);
            if (status is not null)
            {
                await sessions.EndAllAsync(request.HttpContext, subject, token);
            }

            return status;
        }, cancellationToken);

    private static Task<Results<Ok<CitizenAccountStatus>, ProblemHttpResult>> UnlockCitizenAsync(
        HttpRequest request, ClaimsPrincipal user, CitizenManager citizens, TimeProvider time, CancellationToken cancellationToken) =>
        RecoverAccountAsync(request, user, citizens, time, citizens.UnlockAsync, cancellationToken);

    /// <summary>Finds the citizen named in the body (identity number or subject) and applies <paramref name="action"/>.</summary>
    private static async Task<Results<Ok<CitizenAccountStatus>, ProblemHttpResult>> RecoverAccountAsync(
        HttpRequest request, ClaimsPrincipal user, CitizenManager citizens, TimeProvider time,
        Func<string, string, CancellationToken, Task<CitizenAccountStatus?>> action, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<CitizenAccountRequest>(request, JsonBody.DefaultLimit, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if ((body!.IdNumber is null) == (body.Subject is null))
        {
            return Problems.Validation("idNumber", "Name the citizen by exactly one of idNumber and subject.");
        }

        string? subject;
        if (body.IdNumber is not null)
        {
            if (!CitizenId.TryParse(body.IdNumber, time, out var citizenId, out var idError))
            {
                return Problems.Validation("idNumber", idError);
            }

            subject = (await citizens.FindByCitizenIdAsync(citizenId, cancellationToken))?.Subject;
        }
        else
        {
            subject = body.Subject is { Length: > 0 and <= 100 } ? body.Subject : null;
        }

        var status = subject is null ? null : await action(subject, user.ToCaller().ClientId, cancellationToken);
        return status is null ? Problems.From(CertStoreError.NotFound("Citizen")) : TypedResults.Ok(status);
    }

    private static async Task<Results<Ok<IEnumerable<KeySummary>>, ProblemHttpResult>> RotateKeysAsync(
        string code, KeyManager keys, ICertificateStore store, SignatureSuites suites, CancellationToken cancellationToken)
    {
        if (await FindDepartmentCodeAsync(code, store, cancellationToken) is { } error)
        {
            return error;
        }

        await keys.RotateAsync(code, cancellationToken);
        return TypedResults.Ok(await KeysOfAsync(code, keys, suites, cancellationToken));
    }

    private static async Task<Results<Ok<IEnumerable<KeySummary>>, ProblemHttpResult>> ListKeysAsync(
        string code, KeyManager keys, ICertificateStore store, SignatureSuites suites, CancellationToken cancellationToken) =>
        await FindDepartmentCodeAsync(code, store, cancellationToken) is { } error
            ? error
            : TypedResults.Ok(await KeysOfAsync(code, keys, suites, cancellationToken));

    private static async Task<ProblemHttpResult?> FindDepartmentCodeAsync(string code, ICertificateStore store, CancellationToken cancellationToken)
    {
        if (!CreditCode.TryParse(code, out var parsed, out var error))
        {
            return Problems.Validation("code", error);
        }

        return await store.FindDepartmentAsync(parsed.ToString(), cancellationToken) is null ? Problems.From(CertStoreError.NotFound("Department")) : null;
    }

    private static async Task<IEnumerable<KeySummary>> KeysOfAsync(string code, KeyManager keys, SignatureSuites suites, CancellationToken cancellationToken) =>
        (await keys.GetAllKeysAsync(cancellationToken)).Where(k => k.OwnerCode == code)
            .Select(k => new KeySummary(k.KeyId, k.Algorithm, suites.Get(k.Algorithm).ExportJwk(k.SubjectPublicKeyInfo), k.NotBefore, k.RetiredAt, k.RevokedAt));

    /// <summary>Body of <c>POST /api/v1/admin/clients</c>; the URIs and <c>clientType</c> only for portal (authorization code) clients.</summary>
    public sealed record ClientRequest(
        string? DepartmentCode,
        string? Name,
        IReadOnlyList<string?>? Scopes,
        IReadOnlyList<string?>? RedirectUris = null,
        IReadOnlyList<string?>? PostLogoutRedirectUris = null,
        string? BackChannelLogoutUri = null,
        string? ClientType = null,
        bool? ResourceServer = null);

    /// <summary>Body of <c>PUT /api/v1/admin/clients/{clientId}</c>: the name (kept when absent) and the portal URIs (replaced).</summary>
    public sealed record ClientUpdateRequest(
        string? Name,
        IReadOnlyList<string?>? RedirectUris = null,
        IReadOnlyList<string?>? PostLogoutRedirectUris = null,
        string? BackChannelLogoutUri = null,
        bool? ResourceServer = null);

    /// <summary>A new client: its secret (confidential clients only) is shown this once.</summary>
    public sealed record CreatedClient(
        string ClientId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? ClientSecret,
        string ClientType);

    /// <summary>A client as listed (no secret).</summary>
    public sealed record ClientSummary(
        string ClientId,
        string Name,
        string? DepartmentCode,
        IReadOnlyList<string> Scopes,
        DateTimeOffset CreatedAt,
        string ClientType,
        IReadOnlyList<string> RedirectUris,
        IReadOnlyList<string> PostLogoutRedirectUris,
        string? BackChannelLogoutUri,
        bool ResourceServer);

    /// <summary>Body of the account recovery calls: the citizen by identity number or by opaque subject (exactly one).</summary>
    public sealed record CitizenAccountRequest(string? IdNumber, string? Subject);

    /// <summary>Body of <c>POST /api/v1/admin/citizens</c>.</summary>
    public sealed record CitizenRequest(string? IdNumber, string? Name, string? Password);

    /// <summary>A public signing key with its life cycle.</summary>
    public sealed record KeySummary(string Kid, string Alg, System.Text.Json.Nodes.JsonObject Jwk, DateTimeOffset NotBefore, DateTimeOffset? RetiredAt, DateTimeOffset? RevokedAt);
}

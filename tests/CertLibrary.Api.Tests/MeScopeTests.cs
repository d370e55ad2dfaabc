using System.Net;
using System.Net.Http.Json;
using CertLibrary.Api.Infrastructure;
using CertLibrary.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Api.Tests;

/// <summary>
/// <c>/api/v1/me/*</c> needs the citizen API scopes (security finding #21 item 1): reads <c>certlib.me.read</c>, changes
/// <c>certlib.me.manage</c>; a citizen token without them (e.g. a portal granted only <c>openid</c>) answers 403
/// <c>insufficient_scope</c> and changes nothing.
/// </summary>
public sealed class MeScopeTests : IAsyncLifetime
{
    private const string Holder = ApiFactory.HolderNumber;
    private readonly ApiFactory _factory = new();

    public async Task InitializeAsync()
    {
        using var civil = await _factory.StartWithCivilAffairsClientAsync();
        using var issued = await ApiFactory.PostJsonAsync(civil, "/api/v1/certificates", ApiFactory.MarriageRequest(Holder));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task MeApi_TokenWithOnlyOpenId_403InsufficientScopeAndNothingChanged()
    {
        using var openIdOnly = await _factory.CitizenClientAsync(Holder, IdentityConstants.OpenIdScope);
        using var portal = await _factory.CitizenClientAsync(Holder);

        using var certificates = await openIdOnly.GetAsync("/api/v1/me/certificates");
        using var settings = await openIdOnly.PutAsJsonAsync("/api/v1/me/settings", new { consentRequired = true });

        await AssertInsufficientScopeAsync(certificates, IdentityConstants.MeReadScope);
        Assert.DoesNotContain(Holder, await certificates.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await AssertInsufficientScopeAsync(settings, IdentityConstants.MeManageScope);
        Assert.False((await ApiFactory.JsonAsync(await portal.GetAsync("/api/v1/me/settings"))).GetProperty("consentRequired").GetBoolean());
    }

    [Fact]
    public async Task MeApi_ReadOnlyToken_ReadsButCannotChangeSettingsOrConsents()
    {
        using var readOnly = await _factory.CitizenClientAsync(Holder, IdentityConstants.OpenIdScope, IdentityConstants.MeReadScope);

        using var certificates = await readOnly.GetAsync("/api/v1/me/certificates");
        using var log = await readOnly.GetAsync("/api/v1/me/access-log");
        using var put = await readOnly.PutAsJsonAsync("/api/v1/me/settings", new { consentRequired = true });
        using var grant = await readOnly.PostAsJsonAsync("/api/v1/me/consents",
            new { department = ApiFactory.Housing, typeCodes = new[] { ApiFactory.MarriageType }, expiresAt = DateTimeOffset.UtcNow.AddDays(30) });
        using var settings = await readOnly.GetAsync("/api/v1/me/settings");

        Assert.Equal(HttpStatusCode.OK, certificates.StatusCode);
        Assert.Single((await ApiFactory.JsonAsync(certificates)).EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        await AssertInsufficientScopeAsync(put, IdentityConstants.MeManageScope);
        await AssertInsufficientScopeAsync(grant, IdentityConstants.MeManageScope);
        Assert.False((await ApiFactory.JsonAsync(settings)).GetProperty("consentRequired").GetBoolean());
    }

    [Fact]
    public void MeEndpoints_Every_RequiresReadForGetAndManageOtherwise()
    {
        var endpoints = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/me", StringComparison.Ordinal) == true).ToList();

        Assert.True(endpoints.Count >= 12, string.Join(", ", endpoints.Select(e => e.RoutePattern.RawText)));
        Assert.All(endpoints, e =>
        {
            var methods = e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods;
            var expected = methods.All(m => m == HttpMethods.Get) ? Policies.MeRead : Policies.MeManage;
            Assert.True(e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == expected),
                $"{string.Join(',', methods)} {e.RoutePattern.RawText} does not require policy {expected}");
        });
    }

    private static async Task AssertInsufficientScopeAsync(HttpResponseMessage response, string scope)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("error=\"insufficient_scope\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Contains($"scope=\"{scope}\"", challenge.Parameter, StringComparison.Ordinal);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await ApiFactory.JsonAsync(response);
        Assert.Equal("urn:certlib:problem:insufficient-scope", problem.GetProperty("type").GetString());
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
    }
}

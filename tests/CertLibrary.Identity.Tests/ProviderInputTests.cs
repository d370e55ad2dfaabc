using System.Net;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// A control character in a parameter is refused before it reaches the database (PostgreSQL cannot store U+0000 in text
/// and answered with an exception): 400 invalid_request at the token endpoint, an error page at authorize, on both stores.
/// </summary>
public sealed class ProviderInputTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task ControlCharacterInClientId_400InvalidRequestOrErrorPage_NoErrorLogged(string store)
    {
        var logs = new LogCapture();
        using var factory = new IdentityApiFactory { Logs = logs, Settings = store == "sqlite" ? [] : await IdentityApiFactory.PostgresSettingsAsync() };
        using var http = factory.CreateClient();

        using var token = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = "a\0", ["code"] = "x", ["code_verifier"] = "y",
        }));
        using var authorize = await http.GetAsync("/connect/authorize?client_id=a%00&response_type=code");

        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Equal("invalid_request", (await IdentityApiFactory.JsonAsync(token)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, authorize.StatusCode);
        Assert.Contains("id=\"error\"", await authorize.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Messages, m => m.StartsWith("Error ", StringComparison.Ordinal));
    }
}

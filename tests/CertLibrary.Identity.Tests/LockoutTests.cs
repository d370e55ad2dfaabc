using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CertLibrary.Identity.Tests;

/// <summary>Per-account lockout: 5 failures within 15 minutes lock the account for 15 minutes (the test moves the clock).</summary>
public sealed class LockoutTests
{
    [Fact]
    public async Task Login_FiveFailuresSpreadOverMoreThanTheWindow_NotLocked()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var options = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value;
        var spacing = options.LockoutWindow / (options.LockoutThreshold - 1) + TimeSpan.FromSeconds(1);
        for (var i = 0; i < options.LockoutThreshold; i++)
        {
            if (i > 0)
            {
                time.Advance(spacing); // the first failure and the last one are more than a window apart
            }

            using var failed = await flow.LoginAsync(password: "wrong password");
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        }

        using var response = await flow.LoginAsync();

        Assert.NotNull(OidcFlow.Query(response)["code"]);
    }

    [Fact]
    public async Task Login_LockedAccountAfterTheLockDuration_SignsInAgain()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var options = factory.Services.GetRequiredService<IOptions<IdentityOptions>>().Value;
        for (var i = 0; i < options.LockoutThreshold; i++)
        {
            using var failed = await flow.LoginAsync(password: "wrong password");
        }

        using var locked = await flow.LoginAsync();
        time.Advance(options.LockoutWindow - TimeSpan.FromSeconds(1));
        using var stillLocked = await flow.LoginAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        using var response = await flow.LoginAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLocked.StatusCode);
        Assert.NotNull(OidcFlow.Query(response)["code"]);
    }
}

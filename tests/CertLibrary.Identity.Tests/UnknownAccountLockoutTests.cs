using System.Net;
using CertLibrary.Identifiers;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// The per-account lockout must not tell which identity numbers have accounts: a number without one is answered, locked
/// and unlocked exactly like a number with one, on both stores.
/// </summary>
public sealed class UnknownAccountLockoutTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Login_FailuresWithNumberWithoutAccount_AnsweredLockedAndUnlockedLikeAnAccount(string store)
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time, Settings = store == "sqlite" ? [] : await IdentityApiFactory.PostgresSettingsAsync() };
        using var flow = await OidcFlow.CreateAsync(factory);
        var unknown = CitizenId.Create("110105", new DateOnly(1966, 6, 6), 618).ToString();

        var withAccount = await AttemptsAsync(flow, flow.CitizenId.ToString());
        var withoutAccount = await AttemptsAsync(flow, unknown);
        time.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        using var afterLockAccount = await flow.LoginAsync(password: "wrong password");
        using var afterLockUnknown = await flow.LoginAsync(password: "wrong password", idNumber: unknown);

        // Four wrong passwords answer the generic message; the fifth locks, and the sixth, even with the right password, is refused.
        Assert.Equal([.. Enumerable.Repeat((HttpStatusCode.OK, "身份证号码或密码错误"), 4), .. Enumerable.Repeat((HttpStatusCode.TooManyRequests, "账户已暂时锁定"), 2)], withAccount);
        Assert.Equal(withAccount, withoutAccount);
        Assert.Equal(HttpStatusCode.OK, afterLockAccount.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterLockUnknown.StatusCode);
    }

    [Fact]
    public async Task Login_NumberWithoutAccount_FailuresSpreadBeyondTheWindow_NeverLock()
    {
        var time = new TestTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new IdentityApiFactory { Time = time };
        using var flow = await OidcFlow.CreateAsync(factory);
        var unknown = CitizenId.Create("110105", new DateOnly(1977, 7, 7), 717).ToString();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await flow.LoginAsync(password: "wrong password", idNumber: unknown);
            statuses.Add(response.StatusCode);
            time.Advance(TimeSpan.FromMinutes(4)); // four attempts per 15-minute window at most
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    private static async Task<List<(HttpStatusCode, string)>> AttemptsAsync(OidcFlow flow, string idNumber)
    {
        var answers = new List<(HttpStatusCode, string)>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await flow.LoginAsync(password: i < 5 ? "wrong password" : OidcFlow.Password, idNumber: idNumber);
            var html = await response.Content.ReadAsStringAsync();
            var message = new[] { "身份证号码或密码错误", "账户已暂时锁定" }.FirstOrDefault(m => html.Contains(m, StringComparison.Ordinal)) ?? html;
            answers.Add((response.StatusCode, message));
        }

        return answers;
    }
}

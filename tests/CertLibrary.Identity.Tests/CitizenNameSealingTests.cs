using System.Text;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CertLibrary.Identity.Tests;

/// <summary>
/// Citizen names are sealed in the database like identity numbers: new accounts are written sealed, and rows written
/// before (clear name, no sealed name) are sealed at the next start-up, on both stores.
/// </summary>
public sealed class CitizenNameSealingTests
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task CitizenName_StoredSealed_ClearRowsSealedAtStartUp(string store)
    {
        var settings = store == "sqlite" ? [] : await IdentityApiFactory.PostgresSettingsAsync();
        using var factory = new IdentityApiFactory { Settings = settings, KeepDatabaseOnDispose = true };
        var created = await factory.Citizens.RegisterAsync(NewCitizenId(), "欧阳娜娜", "correct horse battery");
        var older = await factory.Citizens.RegisterAsync(NewCitizenId(), "司马光", "correct horse battery");
        var subject = created.Citizen!.Subject;
        var olderSubject = older.Citizen!.Subject;

        var stored = await StoredAsync(factory, subject);
        await using (var connection = await Database(factory).OpenConnectionAsync(default))
        {
            // The row as written before names were sealed.
            await connection.ExecuteAsync("UPDATE identity_citizens SET name = @name, sealed_name = NULL WHERE subject = @olderSubject",
                new { name = "司马光", olderSubject });
        }

        using var restarted = IdentityApiFactory.RestartOf(factory, settings);
        var converted = await StoredAsync(restarted, olderSubject);

        Assert.Equal(string.Empty, stored.Name);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes("欧阳娜娜")), Convert.ToHexString(stored.SealedName!), StringComparison.Ordinal);
        Assert.Equal("欧阳娜娜", (await factory.Citizens.FindBySubjectAsync(subject))!.Name);
        Assert.Equal(string.Empty, converted.Name);
        Assert.NotNull(converted.SealedName);
        Assert.Equal("司马光", (await restarted.Citizens.FindBySubjectAsync(olderSubject))!.Name);
        Assert.Equal("欧阳娜娜", (await restarted.Citizens.FindBySubjectAsync(subject))!.Name);
    }

    private static CitizenId NewCitizenId() =>
        CitizenId.Create("110105", new DateOnly(1980, 1, 1).AddDays(Random.Shared.Next(0, 10000)), Random.Shared.Next(0, 1000));

    private static ICertLibraryDatabase Database(IdentityApiFactory factory) => factory.Services.GetRequiredService<ICertLibraryDatabase>();

    private static async Task<(string Name, byte[]? SealedName)> StoredAsync(IdentityApiFactory factory, string subject)
    {
        await using var connection = await Database(factory).OpenConnectionAsync(default);
        return await connection.QuerySingleAsync<(string, byte[]?)>(
            "SELECT name, sealed_name FROM identity_citizens WHERE subject = @subject", new { subject });
    }
}

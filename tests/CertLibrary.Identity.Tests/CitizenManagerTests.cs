using System.Text;
using CertLibrary.Identifiers;

namespace CertLibrary.Identity.Tests;

public sealed class CitizenManagerTests(IdentityApiFactory factory) : IClassFixture<IdentityApiFactory>
{
    private static CitizenId NewCitizenId() =>
        CitizenId.Create("110105", new DateOnly(1980, 1, 1).AddDays(Random.Shared.Next(0, 10000)), Random.Shared.Next(0, 1000));

    [Fact]
    public async Task Register_NewCitizen_OpaqueSubjectAndFindable()
    {
        var id = NewCitizenId();

        var result = await factory.Citizens.RegisterAsync(id, "张三", "correct horse battery");

        Assert.Equal(CitizenRegistrationStatus.Created, result.Status);
        var subject = result.Citizen!.Subject;
        Assert.DoesNotContain(id.ToString(), subject, StringComparison.Ordinal);
        Assert.True(subject.Length >= 32);
        Assert.Equal("张三", (await factory.Citizens.FindBySubjectAsync(subject))!.Name);
        Assert.Equal(id, await factory.Citizens.GetCitizenIdAsync(subject));
        Assert.Equal(subject, (await factory.Citizens.FindByCitizenIdAsync(id))!.Subject);
    }

    [Fact]
    public async Task Register_SameIdentityNumberTwice_AlreadyRegistered()
    {
        var id = NewCitizenId();
        await factory.Citizens.RegisterAsync(id, "李四", "correct horse battery");

        var again = await factory.Citizens.RegisterAsync(id, "李四", "another password");

        Assert.Equal(CitizenRegistrationStatus.AlreadyRegistered, again.Status);
    }

    [Fact]
    public async Task Register_ShortPassword_Rejected()
    {
        var result = await factory.Citizens.RegisterAsync(NewCitizenId(), "王五", "short");

        Assert.Equal(CitizenRegistrationStatus.InvalidPassword, result.Status);
    }

    [Fact]
    public async Task Register_IdentityNumberNeverStoredInClear()
    {
        var id = NewCitizenId();
        await factory.Citizens.RegisterAsync(id, "赵六", "correct horse battery");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var files = Directory.GetFiles(Path.GetDirectoryName(factory.DatabasePath)!);
        var needle = Encoding.ASCII.GetBytes(id.ToString());

        foreach (var file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            Assert.Equal(-1, bytes.AsSpan().IndexOf(needle));
        }
    }
}

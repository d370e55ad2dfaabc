using System.Net;

namespace CertLibrary.Operations.Tests;

/// <summary>The service started as a service manager starts it: <c>dotnet CertLibrary.Api.dll</c> from another directory.</summary>
[Collection(ApiProcessCollection.Name)]
public sealed class ServiceStartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("certlib-start-").FullName;

    [Fact]
    public async Task Pages_StartedFromAnotherWorkingDirectory_AreServed()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_directory, "cwd")).FullName;
        var settings = ApiProcess.Settings.Sqlite(Path.Combine(_directory, "db", "certlib.db"));
        await using var api = await ApiProcess.StartAsync(settings, elsewhere);
        using var http = new HttpClient { BaseAddress = api.BaseAddress };

        foreach (var (path, contentType) in new[]
        {
            ("verify", "text/html"), ("verify/jsQR.js", "text/javascript"),
            ("portal/app.js", "text/javascript"), ("portal/app.css", "text/css"), ("portal/signout.js", "text/javascript"),
        })
        {
            using var response = await http.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100, path);
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

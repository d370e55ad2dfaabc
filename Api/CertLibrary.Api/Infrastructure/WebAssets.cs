using Microsoft.Extensions.FileProviders;

namespace CertLibrary.Api.Infrastructure;

/// <summary>
/// The pages' files (<c>wwwroot/</c>), embedded in the assembly: the portal and the verifier page are served the same
/// whatever the working directory the service was started from.
/// </summary>
public static class WebAssets
{
    private static readonly EmbeddedFileProvider Files = new(typeof(WebAssets).Assembly, "CertLibrary.Api.wwwroot");

    /// <summary>The embedded file at <paramref name="path"/> (relative to <c>wwwroot/</c>), or null.</summary>
    public static IFileInfo? Find(string path)
    {
        var file = Files.GetFileInfo(path);
        return file.Exists ? file : null;
    }

    /// <summary>The file as a response, or 404 when no such file is embedded.</summary>
    public static IResult Serve(string path, string contentType) =>
        Find(path) is { } file
            ? TypedResults.Stream(file.CreateReadStream(), contentType, lastModified: file.LastModified)
            : TypedResults.NotFound();
}

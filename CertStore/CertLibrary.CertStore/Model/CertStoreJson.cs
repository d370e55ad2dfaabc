using System.Text.Json;

namespace CertLibrary.CertStore.Model;

/// <summary>JSON of payloads, stored documents and cache entries: camelCase, RFC 3339 UTC times.</summary>
public static class CertStoreJson
{
    /// <summary>The read-only serializer options.</summary>
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.Converters.Add(new UtcTimeConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

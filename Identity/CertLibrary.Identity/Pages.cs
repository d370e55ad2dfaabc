using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>The provider's HTML pages: Chinese by default, English when the browser prefers it; never framed, never cached.</summary>
internal static class Pages
{
    // Chinese text stays readable in the page source; markup-significant characters are still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static bool English(HttpContext context)
    {
        var languages = context.Request.GetTypedHeaders().AcceptLanguage;
        var preferred = languages.OrderByDescending(l => l.Quality ?? 1).FirstOrDefault();
        return preferred is not null && preferred.Value.Value?.StartsWith("en", StringComparison.OrdinalIgnoreCase) == true;
    }

    public static string T(HttpContext context, string zh, string en) => English(context) ? en : zh;

    public static IResult Html(HttpContext context, string title, string body, int status = StatusCodes.Status200OK)
    {
        var headers = context.Response.Headers;
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        var lang = English(context) ? "en" : "zh-CN";
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"").Append(lang).Append("\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").Append(Encode(title)).Append("</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:24rem;margin:2rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}")
            .Append("input{width:100%;padding:.6rem;font-size:1rem;box-sizing:border-box}button{margin-top:1rem;width:100%;padding:.7rem;font-size:1rem}")
            .Append(".error{color:#b00020}</style></head><body><h1>").Append(Encode(title)).Append("</h1>")
            .Append(body).Append("</body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static IResult Error(HttpContext context, string zh, string en, int status = StatusCodes.Status400BadRequest) =>
        Html(context, T(context, "出错了", "Something went wrong"), $"<p class=\"error\" id=\"error\">{Encode(T(context, zh, en))}</p>", status);

    public static string Encode(string value) => Encoder.Encode(value);

    /// <summary>A hidden form field; nothing when <paramref name="value"/> is null or empty.</summary>
    public static string Hidden(string name, string? value) =>
        string.IsNullOrEmpty(value) ? string.Empty : $"<input type=\"hidden\" name=\"{Encode(name)}\" value=\"{Encode(value)}\">";

    /// <summary>The antiforgery token's hidden field of a form that posts back to the provider.</summary>
    public static string AntiforgeryField(AntiforgeryTokenSet tokens) => Hidden(tokens.FormFieldName, tokens.RequestToken);
}

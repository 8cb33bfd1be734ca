using System.Net.Http.Headers;

namespace Inference.Api.Tests.Support;

public static class Requests
{
    public static ByteArrayContent Raw(byte[] image, string contentType = "image/png")
    {
        var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    public static MultipartFormDataContent Multipart(IEnumerable<byte[]> images, IReadOnlyDictionary<string, string>? fields = null, string field = "image")
    {
        var content = new MultipartFormDataContent();
        var index = 0;
        foreach (var image in images)
        {
            var part = new ByteArrayContent(image);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            content.Add(part, field, $"image{index++}.png");
        }

        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            content.Add(new StringContent(value), name);
        }

        return content;
    }
}

#include "adapters/http/envelope.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

namespace leads::adapters::http {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& writer, std::string_view text) {
    writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

std::string error_body(std::string_view code, std::string_view message, const std::vector<domain::FieldIssue>& details,
                       std::string_view existing_id) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    writer.StartObject();
    writer.Key("success");
    writer.Bool(false);
    writer.Key("error");
    writer.StartObject();
    writer.Key("code");
    write_string(writer, code);
    writer.Key("message");
    write_string(writer, message);
    writer.Key("details");
    writer.StartArray();
    if (!existing_id.empty()) {
        writer.StartObject();
        writer.Key("field");
        writer.String("email");
        writer.Key("issue");
        writer.String("already exists in this workspace");
        writer.Key("existing_id");
        write_string(writer, existing_id);
        writer.EndObject();
    }
    for (const auto& detail : details) {
        writer.StartObject();
        writer.Key("field");
        write_string(writer, detail.field);
        writer.Key("issue");
        write_string(writer, detail.issue);
        writer.EndObject();
    }
    writer.EndArray();
    writer.EndObject();
    writer.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

Response error_response(int status, std::string_view code, std::string_view message,
                        const std::vector<domain::FieldIssue>& details) {
    Response response;
    response.status = status;
    response.body = error_body(code, message, details, {});
    return response;
}

Response unavailable_response(std::string_view message) {
    Response response = error_response(503, "unavailable", message);
    response.headers.push_back({"Retry-After", "1"});
    return response;
}

Response error_response(const domain::Error& error) {
    using domain::ErrorKind;
    switch (error.kind) {
        case ErrorKind::Validation:
            return error_response(400, "validation_failed",
                                  error.message.empty() ? "The request is not valid." : error.message, error.details);
        case ErrorKind::NotFound:
            return error_response(404, "not_found", error.message.empty() ? "No such resource." : error.message);
        case ErrorKind::Conflict: {
            Response response;
            response.status = 409;
            response.body = error_body("duplicate_email", "A lead with this email already exists in the workspace.", {},
                                       error.existing_id);
            return response;
        }
        case ErrorKind::Suppressed:
            return error_response(409, "suppressed", error.message, error.details);
        case ErrorKind::PreconditionFailed:
            return error_response(412, "precondition_failed", "The lead has changed since the given ETag.");
        case ErrorKind::Gone:
            return error_response(410, "events_expired", error.message, error.details);
        case ErrorKind::Unavailable:
            return unavailable_response("The service is temporarily unavailable.");
        case ErrorKind::Internal:
            break;
    }
    return error_response(500, "internal_error", "An internal error occurred.");
}

}  // namespace leads::adapters::http

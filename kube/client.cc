#include "kube/client.h"

#include <utility>

#include "kube/api_error.h"

namespace fedcrm::kube {

ListResult ListAll(Client& client, const GroupVersionResource& gvr, std::string_view namespace_,
                   ListOptions options, const std::function<void(Json&)>& each) {
  ListResult all;
  bool first = true;
  bool fell_back = false;
  while (true) {
    ListResult page;
    try {
      page = client.List(gvr, namespace_, options);
    } catch (const ApiError& e) {
      // A continue token expires with the etcd compaction that removed its
      // snapshot; like client-go's pager, fall back to one unpaged list.
      if (first || fell_back || !e.IsGone()) throw;
      fell_back = true;
      options.limit = 0;
      options.continue_token.clear();
      all = ListResult();
      first = true;
      continue;
    }
    if (first) all.resource_version = page.resource_version;
    first = false;
    for (Json& item : page.items) {
      if (each) each(item);
      all.items.push_back(std::move(item));
    }
    if (page.continue_token.empty()) break;
    options.continue_token = std::move(page.continue_token);
    // The server refuses resourceVersion together with continue: the token
    // already pins the snapshot.
    options.resource_version.clear();
  }
  return all;
}

}  // namespace fedcrm::kube

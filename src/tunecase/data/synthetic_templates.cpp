#include "tunecase/data/synthetic_templates.h"

#include <map>

namespace tunecase::synthetic {

const std::vector<Category>& base_categories() {
  static const std::vector<Category> kCategories = {
      {"billing",
       "Invoices, charges, prices, payment methods and tax questions.",
       15,
       {"[I was|We were] charged {amount} this month for the {plan} plan[| and I don't understand "
        "why].",
        "Our invoice for {month} shows {amount} but [we only have|we're only paying for] {n} "
        "seats.",
        "[How do I|Where can I|Can I] update the [credit card|payment method|card on file] [for "
        "our workspace|on our account]?",
        "The {plan} plan price went up to {amount} without any notice[|, can you explain]?",
        "[Can you|Please] add our VAT number {vat} to [the invoices|future invoices|our invoices].",
        "[My|Our] card was declined [at renewal|for the annual renewal] even though [the bank says "
        "everything is fine|there are funds on it].",
        "[I need|Please send] a copy of invoice {invoice} [for our accountant|for our records|with "
        "our company address on it].",
        "Why [was I|were we] [billed|charged] for {n} seats when we [removed|deactivated] "
        "[two|three|some] users [last week|in {month}]?",
        "[Can we|Is it possible to] switch from monthly to annual [payment|billing] [and get the "
        "discount|to save money]?",
        "The [charge|payment] of {amount} on {date} [doesn't match|is higher than] [our quote|what "
        "sales told us|the price on your website].",
        "[We're|I'm] being charged [sales tax|VAT] even though we are exempt, [certificate "
        "attached|I sent the certificate already].",
        "Can the [receipt|invoice] show our PO number {po}? [Finance won't pay without it.|Our AP "
        "team requires it.]"},
       {"invoice {invoice} wrong amount", "card declined on renewal",
        "need receipt for {amount} charge", "[how to|where to] change payment card?",
        "why did the price go up"},
       {"[The|This] invoice [is dated|was issued on] {date}.",
        "The amount on the statement is {amount}."},
       {"[Why is there|What is] an Autopilot add-on [line|charge] of {amount} on [our|my] invoice? "
        "[We never enabled it.|Nobody here turned it on.]",
        "Is Autopilot included in the {plan} plan or [is it billed separately|does it cost "
        "extra]?"}},
      {"login",
       "Signing in: passwords, two-factor codes, SSO, lockouts, sessions.",
       13,
       {"I [can't|cannot|am unable to] [sign in|log in|get into my account] [since this "
        "morning|since {date}|after the update], it keeps saying '[invalid credentials|incorrect "
        "password|something went wrong]'.",
        "The password reset email [never arrives|never shows up|isn't coming through], [I checked "
        "spam|the spam folder is empty too].",
        "[The two-factor|The 2FA|The authenticator] code [is always rejected|keeps failing|says "
        "expired] [on my {device}|when I sign in].",
        "[Our|My] SSO sign-in with {idp} [redirects in a loop|fails with error {code}|stopped "
        "working] [for the whole team|for new users|this morning].",
        "I'm locked out after [too many attempts|a few wrong passwords] [and need access "
        "urgently|and have a meeting in an hour].",
        "The magic link [expired|says it's invalid] before I [could click it|even opened it].",
        "I [lost|replaced] my phone and [can't get|no longer receive] the 2FA codes[, how do I get "
        "back in?|.]",
        "[Signing in|Logging in] works in {browser} but not in the {device} app.",
        "[It|The app] keeps logging me out every [few minutes|hour|time I switch tabs].",
        "[A new hire|Our new colleague] can't activate [her|his|their] invitation link, it says "
        "[link expired|already used]."},
       {"can't log in", "password reset link not working", "2fa code rejected",
        "locked out of my account", "sso loop with {idp}", "keeps signing me out"},
       {"I already tried [clearing cookies|an incognito window|resetting my password twice].",
        "The error [code is|says] {code}."},
       {"After enabling Autopilot [I get signed out|the app asks me to sign in again] every time "
        "it [books|moves] a meeting.",
        "Autopilot asks [me|us] to re-authorize [Google|Outlook] [every day|constantly] and then "
        "sign-in fails."}},
      {"bug_report",
       "Something in the product behaves wrongly: errors, crashes, wrong data.",
       12,
       {"When I [drag|move] a booking to another [day|room] the [page|calendar] [shows a blank "
        "screen|freezes|throws an error].",
        "[Recurring|Repeating] meetings [created on|set up on] {date} [show up twice|are "
        "duplicated|disappear] in the week view.",
        "[Clicking|Pressing] [Save|Export|Confirm] [does nothing|gives error {code}|spins forever] "
        "[in {browser}|on the {device} app].",
        "Time zones are wrong: [a 9am meeting shows|meetings show] as [3am|an hour off] for "
        "[colleagues|our team] in [Berlin|London|Singapore].",
        "The room display [shows|is showing] [yesterday's schedule|the wrong room|'No data'] since "
        "the [latest|last] firmware update.",
        "Notifications go out [twice|three times] for every booking.",
        "The [report|dashboard] [shows|counts] {n} bookings [but|while] [the list has fewer|the "
        "export has a different number].",
        "[Uploading|Attaching] a floor plan [fails|crashes the page|gives error {code}] [with a "
        "PNG|for files over 2 MB].",
        "[The app crashes|App crashes] [on launch|as soon as I open the calendar] on [my|our] "
        "{device}[ after the update|].",
        "The search box [returns nothing|finds no rooms] even when [the room exists|I type the "
        "exact name]."},
       {"calendar shows blank page", "error {code} when saving", "duplicate bookings in week view",
        "app crashes on {device}", "room display shows wrong room"},
       {"Steps: open the calendar, pick [a room|a desk], [hit save|choose a slot].",
        "[It happens|This happens] [every time|about half the time|only on Mondays].",
        "[Screenshot attached.|I attached a screen recording.|The console shows error {code}.]"},
       {"Autopilot [moved|booked] a meeting into [a room that doesn't exist|a deleted room|last "
        "week] and now the calendar [shows an error|won't load].",
        "Since Autopilot went live the week view [shows every meeting twice|is missing half our "
        "bookings]."}},
      {"account",
       "Workspace and profile administration: owners, users, roles, names, personal data.",
       10,
       {"[How do I|Can you help me|I need to] change the [email address|owner|admin] of [our|my] "
        "[account|workspace][ to {email}|]?",
        "[Please|Can you] transfer [ownership|admin rights] from [a colleague who left|our former "
        "manager] to me.",
        "[I want to|How can I] rename our [workspace|organization] to {company}?",
        "[We need to|How do we] merge two workspaces [after an acquisition|that were created by "
        "mistake]?",
        "[How do I|Can I] invite [an admin|a team member] without [paying for a full seat|giving "
        "them access to invoices]?",
        "[Please|Can you] [delete|remove] [my personal data|a former employee's profile] [as "
        "required by GDPR|per our data policy].",
        "I need to change [my|the] [display name|profile photo|language] in settings, [I can't "
        "find the option|the field is greyed out].",
        "We [need|want] [user roles|permissions] so that [managers can approve bookings|only "
        "admins can edit rooms].",
        "[Can you|Please] update the company address on the account to {address}."},
       {"change account owner", "update workspace name", "remove former employee",
        "add another admin"},
       {"Our workspace is {company}.",
        "The current [admin|owner] [is on leave|left the company|is no longer reachable]."},
       {"[How do I|Can I] [turn off|disable] Autopilot for [some|certain] users in the workspace "
        "settings?",
        "[Who|Which role] can [manage|change] Autopilot [permissions|preferences] for the "
        "[team|workspace]?"}},
      {"shipping",
       "Delivery of Brightdesk hardware: tracking, delays, damaged or wrong items, addresses.",
       9,
       {"[Our|My] order {order} [still hasn't arrived|hasn't shown up|is not here yet] after [two "
        "weeks|{n} days].",
        "The tracking [number|link] for {order} [hasn't updated|shows no movement|says 'label "
        "created'] since {date}.",
        "We received [{n} room displays|the desk sensor kit|the Hub] [but|and] [one box was "
        "damaged|a power adapter is missing|the screen is cracked].",
        "[Can you|Could you] change the delivery address for order {order} to {address}[ before it "
        "leaves|]?",
        "[The courier|UPS|DHL|FedEx] marked [the package|order {order}] as delivered but nobody at "
        "[reception|the office] got it.",
        "[When will|How long until] our {hw} [ship|is dispatched|goes out]? [We need it before|Our "
        "office opens on] {date}.",
        "Do you ship hardware to [Canada|Norway|Brazil|Australia], and [what are|how much are] the "
        "[customs fees|import duties]?",
        "We got the wrong [item|model]: we ordered [{n} door signs|the 10-inch display] [but "
        "got|and received] [desk sensors|the 7-inch one]."},
       {"where is my order {order}", "tracking not updating",
        "package marked delivered but missing", "{hw} arrived damaged"},
       {"The order [number|reference] is {order}.", "[It was|The order was] placed on {date}."},
       {"Our {hw} delivery {order} is late and we need it for [the Autopilot room "
        "sensing|Autopilot to detect empty rooms].",
        "Do the Autopilot-ready room displays ship in a separate box? Order {order} only had [the "
        "cables|half the items]."}},
      {"refund",
       "Getting money back: duplicate charges, unwanted renewals, returns, credits.",
       8,
       {"[I'd like|We'd like|I want] [my|our] money back for the [annual|yearly] renewal that went "
        "through on {date}[, we didn't want it|].",
        "We were charged twice on {date}, [please|can you] reverse the [duplicate|extra|second] "
        "payment of {amount}.",
        "Could we get [a credit|reimbursed|our {amount} back] for the [outage|downtime] on {date}?",
        "We returned [the|our] {hw} [two weeks|a month] ago and still [haven't seen|have not "
        "received] the money [on our card|back].",
        "The {hw} arrived broken and [we'd|I'd] rather have [our money back|a full reimbursement] "
        "than a replacement.",
        "[We|I] downgraded to {plan} [mid-cycle|last week], so [is the difference credited "
        "back?|the {amount} difference should come back to us.]",
        "[Please|Kindly] process the [refund|reimbursement] for [order|invoice] {order} as "
        "[agreed|promised] with [your colleague|support] on {date}.",
        "It's been [{n} days|two weeks] since support approved returning {amount} [and nothing has "
        "arrived|but our bank shows nothing]."},
       {"want money back for renewal", "duplicate charge please reverse",
        "where is my money for {order}", "credit for the outage?"},
       {"The transaction reference is {invoice}.",
        "[We|I] paid with [a Visa card|PayPal|bank transfer]."},
       {"[We|I] never asked for the Autopilot add-on, [please|can you] reverse the {amount} it "
        "cost.",
        "Autopilot booked [a paid room|external rooms] and we want the {amount} back."}},
      {"cancellation",
       "Ending a subscription or contract, stopping renewal, closing the workspace.",
       7,
       {"We [decided|have decided] to stop using Brightdesk [at the end of|after] [this term|the "
        "current contract|{month}]. [What are the next steps?|How do we proceed?]",
        "[Please|Kindly] [close|terminate] our [subscription|account|contract] effective {date}[ "
        "and confirm in writing|].",
        "[How do I|Where do I] [end|stop] the automatic renewal of our {plan} [plan|subscription]?",
        "We're [moving|switching] to [another tool|a competitor|Microsoft Bookings] so [we want "
        "to|we need to] end our [plan|subscription] by {date}.",
        "[I want to|We'd like to] stop paying and [close|shut down] [the workspace|our account] "
        "for good.",
        "[Is there|Do you charge] [a fee|a penalty] for ending our [contract|annual plan] early?",
        "[Our company is closing|Our office is closing|The team is being dissolved] so we won't "
        "need Brightdesk after {month}.",
        "[Please|Can you] confirm we won't be [charged|renewed] again once the contract ends."},
       {"please close our account", "stop auto renewal", "how to end subscription",
        "we are leaving, next steps?"},
       {"Our contract [renews|ends] on {date}.", "It's not [you|the product], our budget was cut."},
       {"[Honestly|Frankly], Autopilot keeps moving [our meetings|client calls] without asking and "
        "[we want out|we'd rather leave]. [How do we|Please] end the contract.",
        "Unless we can [switch off|disable] Autopilot we will not renew on {date}."}},
      {"integration",
       "Connections to other tools: calendars, Slack, Teams, CRM, webhooks, API, provisioning.",
       6,
       {"The {app} [sync|connection] [stopped working|broke|is failing] after {date}, "
        "[bookings|meetings] [don't show up|aren't copied] there.",
        "[How do I|Can I] connect [Brightdesk|our workspace] to {app}[ for the whole team|]?",
        "The webhook to [our HR system|the intranet|{app}] [returns error {code}|gets a 401|times "
        "out] [every time|since yesterday].",
        "[Events|Meetings] created in {app} [appear twice|show up an hour late|come without the "
        "room] in Brightdesk.",
        "Our API token [expired|was revoked] and the {app} connector [can't|won't] "
        "[reconnect|re-authenticate].",
        "Is there a {app} [app|plugin|connector] to [book rooms|show room availability] from "
        "inside {app}?",
        "The SCIM provisioning from {idp} [created duplicate users|imported users without email].",
        "We [need|want] the API [docs|rate limits] to build a [custom|small] [connector|sync] with "
        "our [ERP|HR tool]."},
       {"{app} sync broken", "webhook error {code}", "how to connect {app}", "api token expired"},
       {"Our {app} admin [re-authorized|reconnected] it [twice|already] with no change.",
        "The last successful sync was on {date}."},
       {"Can Autopilot read free/busy from {app}, or only from our Brightdesk calendar?",
        "Autopilot [bookings|meetings] [don't|do not] get copied to {app}[ like normal ones "
        "do|]."}},
      {"performance",
       "Slowness: page loads, search, exports, displays or API taking too long.",
       6,
       {"The [dashboard|calendar|web app] [takes|is taking] [{n} seconds|forever|ages] to load "
        "[this week|since {date}|in the mornings].",
        "[Everything|The app|The site] [is|feels] [really|super|extremely] slow [today|since the "
        "update|for our whole office].",
        "Searching for a room [takes|needs] [{n} seconds|almost a minute] with about {n}00 rooms.",
        "[Exports|Reports] [time out|never finish|take over ten minutes] for a full year of data.",
        "The room displays [lag|take seconds to update] after someone books a room.",
        "[Page loads|Loading] got [much|a lot] slower since [the last release|your update on "
        "{date}].",
        "[Scrolling|Switching weeks] in the calendar [is choppy|stutters|freezes for a few "
        "seconds] on [my|our] {device}.",
        "API calls [respond in {n} seconds|take over 5 seconds] [where it used to be|instead of] "
        "under a second."},
       {"app very slow today", "dashboard takes forever to load", "reports timing out",
        "search is so slow"},
       {"[Our|My] connection is fine, other sites are fast.",
        "It's [worst|slowest] [between 9 and 10am|on Monday mornings|at the start of the day]."},
       {"Since [we turned on|enabling] Autopilot the calendar needs [{n} seconds|ages] to "
        "[load|refresh].",
        "Autopilot [suggestions|proposals] take [forever|almost a minute] to [appear|show up]."}},
      {"feature_request",
       "Ideas and wishes for new product capabilities.",
       5,
       {"[It would be great|It'd be nice|We'd love it] if we could [book|reserve] [parking "
        "spots|lockers|equipment] too.",
        "[Please add|Could you add|Any plans to add] [a dark mode|an option to hide "
        "weekends|custom colors for rooms] [to the calendar|in the app]?",
        "[Our team|Managers] [would really like|have been asking for] a way to see "
        "[bookings|occupancy] [per department|by floor] [in a report|as a chart].",
        "[Suggestion|Idea]: let [admins|us] set [buffer time|cleaning time] between "
        "[meetings|bookings] automatically.",
        "[Is it on the roadmap|Are you planning] to [support|offer] [Apple Watch|a kiosk "
        "mode|check-in with QR codes]?",
        "We would pay extra for [a floor map view|recurring desk bookings|guest badges printed at "
        "reception].",
        "Could room displays show [the next three meetings|the organiser's photo|a QR code] "
        "[instead of|not just] the current one?",
        "[Wish list|Feedback]: bulk editing of [rooms|desks|bookings] would save us hours every "
        "week."},
       {"idea: dark mode please", "would love parking spot booking", "please add bulk edit",
        "any plans for a kiosk mode?"},
       {"Right now we [work around it|do this] [with a spreadsheet|manually].",
        "[A competitor|Our previous tool] [had|offered] [this|something like that]."},
       {"Could Autopilot also [book|suggest] [parking|desks|catering] for [meetings|visitors]?",
        "[We'd love|It would be great] to set rules for Autopilot, like [never before 10am|no "
        "meetings on Fridays]."}},
      {"security",
       "Suspicious activity, compliance documents, data location, audit logs, phishing.",
       4,
       {"We [noticed|saw] [a sign-in|login activity] from [an unknown location|a strange country|a "
        "new device] on [our|my] account [on {date}|yesterday].",
        "Our security team [needs|is asking for] [your SOC 2 report|a penetration test summary|the "
        "DPA] before [renewal|the rollout].",
        "[Can we|How do we] [enforce|require] [2FA|SSO] for all users in the workspace?",
        "[Where|In which region] is our data [stored|hosted], and is it encrypted at rest?",
        "[I think|We think] an email pretending to be from you went out to [our|my] team "
        "[today|this morning].",
        "[Please|Can you] share the audit log for [the last 90 days|{month}] [for an "
        "investigation|for our compliance review]."},
       {"suspicious login alert", "need your SOC 2 report", "phishing email from you?",
        "audit log export"},
       {"Our [compliance|legal] review is due on {date}."},
       {"[What data|Which calendars] does Autopilot [read|send to the AI model], and is it used "
        "for training?",
        "Our security team wants to review Autopilot before [we enable it|the rollout]."}},
  };
  return kCategories;
}

// Launched in month `drift_month`: new vocabulary, new category.
const Category& launch_category() {
  static const Category kLaunch = {
      "smart_scheduling",
      "Autopilot, the AI assistant that books and moves meetings: suggested slots, rules, "
      "mistakes.",
      11,
      {"Autopilot [keeps booking|booked] meetings [during|over] [my lunch|focus time|my days off] "
       "although I marked it busy.",
       "[How do I|Can I] stop Autopilot from [moving|rescheduling] [meetings|calls] [with external "
       "guests|that I organise]?",
       "[The|Autopilot's] suggested [times|slots] [ignore|don't respect] [time zones|working "
       "hours] of colleagues in [Berlin|Singapore|New York].",
       "[The assistant|Autopilot] put two meetings in [the same room|room {room}] at the same time "
       "on {date}.",
       "[Where|How] do I set [my preferred meeting hours|no-meeting days|a buffer] for Autopilot?",
       "[Smart slots|Suggested slots] [never|don't] [show up|appear] when I invite more than {n} "
       "people.",
       "Autopilot [rescheduled|moved] [a client call|our board meeting|my 1:1] [without telling "
       "anyone|and didn't notify the guests].",
       "Does Autopilot [take|consider] [travel time|room capacity] when it picks a slot?",
       "We enabled auto-reschedule but [nothing happens|it never moves anything] when there is a "
       "conflict.",
       "[Why did|How come] [the AI assistant|Autopilot] [picked|chose] [Friday at 6pm|a 7am slot] "
       "for [a team meeting|our standup]?"},
      {"autopilot ignores my working hours", "stop the assistant moving meetings",
       "smart slots missing", "autopilot double booked"},
      {"My working hours are set to 9 to 5 in settings.",
       "This happened [again|twice] [this week|on {date}]."},
      {}};
  return kLaunch;
}

const std::vector<std::string_view>& neighbours(std::string_view name) {
  static const std::map<std::string_view, std::vector<std::string_view>> kNeighbours = {
      {"billing", {"refund", "cancellation"}},
      {"refund", {"billing", "shipping"}},
      {"cancellation", {"billing", "refund"}},
      {"login", {"security", "account"}},
      {"security", {"login", "account"}},
      {"account", {"login", "security", "billing"}},
      {"bug_report", {"performance", "integration"}},
      {"performance", {"bug_report"}},
      {"integration", {"bug_report", "login"}},
      {"feature_request", {"integration", "bug_report"}},
      {"shipping", {"refund", "bug_report"}},
      {"smart_scheduling", {"bug_report", "feature_request"}},
  };
  static const std::vector<std::string_view> kNone;
  auto it = kNeighbours.find(name);
  return it == kNeighbours.end() ? kNone : it->second;
}

const Category& category_named(std::string_view name) {
  for (const auto& c : base_categories())
    if (name == c.name) return c;
  return launch_category();
}

const std::vector<const char*>& openers() {
  static const std::vector<const char*> k = {"Hi,",
                                             "Hello team,",
                                             "Hi there,",
                                             "Good morning,",
                                             "Hey,",
                                             "Dear support,",
                                             "Hi Brightdesk,",
                                             "Hello,",
                                             "Quick question.",
                                             "Sorry to bother you again."};
  return k;
}

const std::vector<const char*>& common_details() {
  static const std::vector<const char*> k = {
      "I'm using {browser} on {device}.", "We're on the {plan} plan.", "My email is {email}.",
      "[This is|It's] affecting [{n} people|our whole office|me and my team]."};
  return k;
}

const std::vector<const char*>& closers() {
  static const std::vector<const char*> k = {"Thanks!",
                                             "Thank you.",
                                             "Thanks in advance, {name}",
                                             "Regards, {name}",
                                             "Please help, this is urgent.",
                                             "Any help appreciated.",
                                             "Cheers",
                                             "Best, {name} ({company})"};
  return k;
}

const std::vector<const char*>& also_prefixes() {
  static const std::vector<const char*> k = {"Also, ", "And separately, ", "On top of that, ",
                                             "Unrelated, but "};
  return k;
}

}  // namespace tunecase::synthetic

# Mandoob: English. Keys must match ar.ftl.

## App
app-name = Mandoob
app-tagline = Serving beneficiaries where they are
society-name = Al-Qurainah Multi-Purpose Cooperative Society
language-switch = العربية
request-types-title = Support request types and required documents
documents-besides-civil-id = Documents (besides the applicant's civil ID)
none-beyond-civil-id = Nothing beyond the civil ID and address
needs-amount = Needs an amount
scope-earning-member = for every earning member
scope-child = for every son or daughter
server-healthy = The server is running
decision-due = Committee decision due: { $date }
overdue = Overdue

## Roles
role-representative = Branch representative
role-social-researcher = Social-research officer
role-committee = Research committee
role-administrator = Administrator

## Workflow events
event-submitted = Submitted to the committee
event-referred = Referred to the social-research officer
event-referral-answered = Social-research officer answered
event-info-requested = Committee asked for more information
event-info-provided = Requested information provided
event-accepted = Request accepted
event-rejected = Request rejected
event-registered = Family registered
event-service-delivered = Service delivered
event-closed = Case closed

## Request status
status-draft = Draft
status-awaiting-decision = Awaiting the committee's decision
status-info-requested = Waiting for more information
status-accepted = Accepted
status-rejected = Rejected
status-registered = Registered
status-in-service = Receiving services
status-closed = Closed

## Why an event was refused
refusal-not-permitted = This role may not take this step
refusal-invalid-transition = This step does not apply to the request's current status
refusal-reason-required = A reason is required
refusal-unknown-request = The request is not in this case file
refusal-no-open-referral = There is no open referral to answer

## Relations
relation-head = Head of household
relation-spouse = Spouse
relation-son = Son
relation-daughter = Daughter
relation-father = Father
relation-mother = Mother
relation-brother = Brother
relation-sister = Sister
relation-grandchild = Grandchild
relation-other = Other relative
sex-male = Male
sex-female = Female

## Governorates
governorate-capital = Capital
governorate-hawalli = Hawalli
governorate-farwaniya = Farwaniya
governorate-ahmadi = Ahmadi
governorate-jahra = Jahra
governorate-mubarak-al-kabeer = Mubarak Al-Kabeer

## Housing, income and expenses
housing-owned = Owned
housing-rented = Rented
housing-government = Government housing
housing-family = With family
housing-other = Other
income-salary = Salary
income-pension = Pension
income-social-assistance = Social-affairs assistance
income-business = Own business
income-family-support = Support from relatives
income-other = Other income
expense-rent = Rent
expense-utilities = Electricity and water
expense-loan = Loan installments
expense-education = Education
expense-medical = Medical care
expense-food = Food
expense-other = Other expenses

## Request types
request-type-monthly-aid = Monthly financial aid
request-type-emergency-aid = One-time emergency aid
request-type-rent-assistance = Rent assistance
request-type-medical = Medical treatment
request-type-education-fees = Education fees
request-type-food-basket = Food basket / in-kind
request-type-utility-bills = Utility bills
request-type-debt-relief = Debt relief (al-gharimin)
request-type-orphan-sponsorship = Orphan sponsorship

## Document kinds
document-kind-civil-id = Civil ID card
document-kind-salary-certificate = Salary or pension certificate
document-kind-bank-statement = Bank statement (3 months)
document-kind-paci-address = PACI address certificate
document-kind-emergency-proof = Proof of the emergency (report, invoice)
document-kind-rent-contract = Rent contract
document-kind-rent-arrears = Landlord's receipt or arrears notice
document-kind-income-proof = Income proof
document-kind-medical-report = Medical report
document-kind-invoice = Invoice or quotation
document-kind-fee-invoice = School or university fee invoice
document-kind-enrolment-proof = Student's enrolment proof
document-kind-utility-bill = Electricity or water bill
document-kind-court-judgment = Court judgment or creditor's statement
document-kind-death-certificate = Father's death certificate
document-kind-guardian-proof = Guardian's proof
document-kind-signature = Applicant's signature
document-kind-other = Other document

## Contact channels (the policy's eight)
channel-in-person = In-person interview
channel-phone = Phone call
channel-social-media = Social media
channel-letter = Letter
channel-assistance-request = Assistance-request services
channel-volunteering = Volunteering service
channel-website = The society's website
channel-branch-representative = Branch-office representatives
direction-inbound = From the beneficiary
direction-outbound = To the beneficiary

## Services
service-cash = Cash transfer
service-food = Food basket
service-in-kind = In-kind aid
service-bill-payment = Bill payment
service-fee-payment = Fee payment
service-other = Other service

## Satisfaction survey
survey-title = Your opinion matters
survey-intro = Rating the service is your right. We use it to improve our service, never to punish anyone.
survey-reception = Were you received courteously and respectfully?
survey-time-and-answers = Did we give you enough time and answer all your questions?
survey-clarity = Was the procedure clear to you?
survey-speed = Was the service quick?
survey-overall = Overall, how satisfied are you with the service?
survey-comment = Your comments (optional)
survey-wants-contact = I would like to be contacted

## Validation errors
error-required = This field is required
error-civil-id-length = A civil ID has 12 digits; this has { $count }
error-civil-id-not-digits = A civil ID has only digits
error-civil-id-century = The first digit of a civil ID is 1, 2 or 3
error-civil-id-date = The birth date inside the civil ID is not a real date
error-civil-id-future = The birth date inside the civil ID is in the future
error-civil-id-check-digit = The civil ID is not valid; check the digits
error-civil-id-birth-date-mismatch = The birth date does not match the civil ID ({ $civil_id_date })
error-civil-id-repeated = This civil ID is already given for another member
error-phone-characters = A phone number has only digits
error-phone-length = A Kuwaiti phone number has 8 digits
error-phone-prefix = A Kuwaiti number begins with 2, 4, 5, 6 or 9
error-phone-foreign = Only Kuwaiti numbers (+965) are accepted
error-birth-date-future = The birth date is in the future
error-no-head = Choose the head of household
error-several-heads = A household has one head; { $count } are marked
error-head-minor = The head of household must be an adult ({ $adult_age } or older); they are { $age }
error-amount-required = State the amount requested
error-amount-not-positive = The amount must be more than zero
error-document-missing = A document is missing: { $kind }
error-document-expired = The document ({ $kind }) expired on { $expired_on }
error-document-unknown = An attached document is not in the case file
error-declaration-missing = The applicant must sign the declaration
error-signer-not-adult-member = The declaration is signed by an adult member of the household
error-score-out-of-range = Ratings are from 1 to 5
error-unknown-request = The request does not exist
